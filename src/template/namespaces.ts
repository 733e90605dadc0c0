/**
 * Package-local macro lookup. A template of package P (a macro file or a model) renders with
 * P's namespace in its context under a private key, and a name it does not define itself is
 * looked up there before the globals: dbt_utils' macros can call each other unprefixed.
 */
import nunjucks from 'nunjucks';

export const namespaceKey = '__kiln_package_namespace';

let installed = false;

export function installNamespaceLookup(): void {
  if (installed) return;
  installed = true;
  // nunjucks does not export its Context class; a function called from a template gets the
  // context as `this`, which leads to the prototype.
  const env = new nunjucks.Environment([]);
  let context: object | undefined;
  env.addGlobal('capture', function (this: object) {
    context = this;
    return '';
  });
  env.renderString('{{ capture() }}', {});
  const proto = Object.getPrototypeOf(context) as Record<string, unknown>;
  proto.lookup = function lookup(this: { ctx: Record<string, unknown>; env: { globals: Record<string, unknown> } }, name: string) {
    const ctx = this.ctx;
    if (name in ctx) return ctx[name];
    const ns = ctx[namespaceKey] as Record<string, unknown> | undefined;
    if (ns !== undefined && ns[name] !== undefined) return ns[name];
    return this.env.globals[name];
  };
}
