#!/usr/bin/python3
"""The oracle of kiln's differential template test: renders cases with Python's Jinja2,
configured as dbt-core configures it.

Input (stdin): JSON, a list of cases {"template": str, "context"?: object,
"macros"?: {"file_name.sql": source}}.
Output (stdout): JSON, a list of results in the same order: {"output": str} or
{"error": "ExceptionType: message"}.

The environment follows dbt-core (core/dbt/clients/jinja.py, dbt_common/clients/jinja.py,
core/dbt/context/base.py): a jinja2.sandbox.SandboxedEnvironment subclass with the
jinja2.ext.do and jinja2.ext.loopcontrols extensions, the default Undefined, no autoescape
and trim_blocks/lstrip_blocks off. The globals are those of dbt's base context that kiln
also provides. Macros of a case's macro files are called as dbt calls project macros (each
macro its own template, reached through a MacroGenerator that catches return()); macros
defined in the case's template itself are plain Jinja macros, callable by their own names.

Each case is rendered in a fresh environment; the failure of one case never stops the
others. Run with Debian's python3 and its python3-jinja2, python3-tz and python3-yaml.
"""
import datetime
import hashlib
import itertools
import json
import re
import signal
import sys

try:
    import jinja2
    import jinja2.ext
    import jinja2.nodes
    import jinja2.parser
    import jinja2.runtime
    import jinja2.sandbox
    import pytz
    import yaml
except ImportError as exc:  # the test turns this into one clear line
    sys.stderr.write(f"missing Python package: {exc}\n")
    sys.exit(3)

# Seconds one case may take before it counts as an error (a runaway loop must not hang CI).
CASE_TIMEOUT = 5


class MacroReturn(Exception):
    """What dbt's return() raises; dbt's MacroGenerator catches it around each macro call."""

    def __init__(self, value):
        super().__init__()
        self.value = value


class CompilationError(Exception):
    """What dbt's exceptions.raise_compiler_error raises."""


class CaseTimeout(Exception):
    pass


class DbtEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """dbt's MacroFuzzEnvironment, without the macro renaming."""


def _return(data):
    raise MacroReturn(data)


def _fromjson(string, default=None):
    try:
        return json.loads(string)
    except ValueError:
        return default


def _tojson(value, default=None, sort_keys=False):
    try:
        return json.dumps(value, sort_keys=sort_keys)
    except ValueError:
        return default


def _fromyaml(value, default=None):
    try:
        return yaml.safe_load(value)
    except (AttributeError, ValueError, yaml.YAMLError):
        return default


def _toyaml(value, default=None, sort_keys=False):
    try:
        return yaml.safe_dump(data=value, sort_keys=sort_keys)
    except (ValueError, yaml.YAMLError):
        return default


def _set(value, default=None):
    try:
        return set(value)
    except TypeError:
        return default


def _set_strict(value):
    try:
        return set(value)
    except TypeError as e:
        raise CompilationError(str(e))


def _zip(*args, default=None):
    try:
        return zip(*args)
    except TypeError:
        return default


def _zip_strict(*args):
    try:
        return zip(*args)
    except TypeError as e:
        raise CompilationError(str(e))


def _log(msg, info=False):
    return ""


def _local_md5(value):
    return hashlib.md5(value.encode("utf-8")).hexdigest()


def _raise_compiler_error(msg, node=None):
    raise CompilationError(msg)


def _diff_of_two_dicts(dict_a, dict_b):
    dict_diff = {}
    dict_b_lowered = {k.casefold(): [x.casefold() for x in v] for k, v in dict_b.items()}
    for k in dict_a:
        if k.casefold() in dict_b_lowered.keys():
            diff = [v for v in dict_a[k] if v.casefold() not in dict_b_lowered[k.casefold()]]
            if diff:
                dict_diff.update({k: diff})
        else:
            dict_diff.update({k: dict_a[k]})
    return dict_diff


# dbt's `modules`: dicts of selected module members, not the modules themselves.
ITERTOOLS_EXPORTS = [
    "count", "cycle", "repeat", "accumulate", "chain", "compress", "islice", "starmap",
    "tee", "zip_longest", "product", "permutations", "combinations",
    "combinations_with_replacement",
]


def context_modules():
    return {
        "pytz": {name: getattr(pytz, name) for name in pytz.__all__},
        "datetime": {name: getattr(datetime, name) for name in ["date", "datetime", "time", "timedelta", "tzinfo"]},
        "re": {name: getattr(re, name) for name in re.__all__},
        "itertools": {name: getattr(itertools, name) for name in ITERTOOLS_EXPORTS},
    }


def base_globals():
    return {
        "return": _return,
        "fromjson": _fromjson,
        "tojson": _tojson,
        "fromyaml": _fromyaml,
        "toyaml": _toyaml,
        "set": _set,
        "set_strict": _set_strict,
        "zip": _zip,
        "zip_strict": _zip_strict,
        "log": _log,
        "local_md5": _local_md5,
        "diff_of_two_dicts": _diff_of_two_dicts,
        "modules": context_modules(),
        "exceptions": {"raise_compiler_error": _raise_compiler_error},
    }


def new_environment():
    env = DbtEnvironment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
    # dbt's text-mode filters (identity outside the native renderer).
    for name in ("as_text", "as_bool", "as_native", "as_number"):
        env.filters[name] = lambda x: x
    env.globals.update(base_globals())
    return env


# dbt splits a macro file into its macro blocks and gives each macro a template of its own
# (text and `set`s outside the blocks are not part of any macro).
MACRO_BLOCK = re.compile(r"\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(.*?\{%-?\s*endmacro\s*-?%\}", re.S)
MACRO_OPENING = re.compile(r"\{%-?\s*macro\s")
# Inside a macro's own template dbt stores the macro under a prefixed name, so a call by the
# plain name (recursion, or another macro of the same file) goes through the context, where
# every macro is a MacroGenerator.
MACRO_PREFIX = "dbt_macro__"


class PrefixedMacroParser(jinja2.parser.Parser):
    """Parses `{% macro name(...) %}` as a macro stored under MACRO_PREFIX + name."""

    def parse_macro(self):
        node = jinja2.nodes.Macro(lineno=next(self.stream).lineno)
        node.name = MACRO_PREFIX + self.parse_assign_target(name_only=True).name
        self.parse_signature(node)
        node.body = self.parse_statements(("name:endmacro",), drop_needle=True)
        return node


class MacroGenerator:
    """Like dbt's MacroGenerator: the global through which a macro of a macro file is
    called. Each call makes a fresh module of the macro's template with the case's context,
    calls the macro, and turns return() into the call's value."""

    def __init__(self, template, name, context):
        self.template = template
        self.name = name
        self.context = context

    def __call__(self, *args, **kwargs):
        module = self.template.make_module(vars=dict(self.context))
        macro = getattr(module, MACRO_PREFIX + self.name)
        try:
            return macro(*args, **kwargs)
        except MacroReturn as e:
            return e.value


def register_macro_files(env, files, context):
    """Makes every macro of the case's macro files a global of the environment."""
    for file_name, source in files.items():
        blocks = list(MACRO_BLOCK.finditer(source))
        if len(blocks) != len(MACRO_OPENING.findall(source)):
            raise jinja2.TemplateSyntaxError("unclosed macro block", 1, file_name, file_name)
        for block in blocks:
            tree = PrefixedMacroParser(env, block.group(0), file_name, file_name).parse()
            env.globals[block.group(1)] = MacroGenerator(env.from_string(tree), block.group(1), context)


def _on_alarm(signum, frame):
    raise CaseTimeout(f"case took longer than {CASE_TIMEOUT} s")


def check_context(value, path="context"):
    """JavaScript reads 1.0 as 1, so an integral float in a context means kiln and Jinja2
    would be given different values: the corpus must write such floats in the template."""
    if isinstance(value, float) and value.is_integer():
        raise ValueError(f"corpus error: {path} is the integral float {value!r}; write it in the template")
    if isinstance(value, dict):
        for k, v in value.items():
            check_context(v, f"{path}.{k}")
    if isinstance(value, list):
        for i, v in enumerate(value):
            check_context(v, f"{path}[{i}]")


def render_case(case):
    env = new_environment()
    context = case.get("context") or {}
    check_context(context)
    register_macro_files(env, case.get("macros") or {}, context)
    template = env.from_string(case["template"])
    return template.render(context)


def main():
    cases = json.load(sys.stdin)
    results = []
    signal.signal(signal.SIGALRM, _on_alarm)
    for case in cases:
        try:
            signal.alarm(CASE_TIMEOUT)
            try:
                out = render_case(case)
            finally:
                signal.alarm(0)
            results.append({"output": str(out)})
        except Exception as e:  # every failure is a result, never the end of the run
            message = str(e).splitlines()[0] if str(e) else ""
            results.append({"error": f"{type(e).__name__}: {message}"})
    sys.stdout.write(json.dumps(results))
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.setrecursionlimit(3000)
    main()
