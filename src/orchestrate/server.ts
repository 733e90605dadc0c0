/**
 * The orchestrator's HTTP side: the JSON API, server-sent event streams, the monitoring page
 * and the project's docs site, from one port bound to 127.0.0.1 unless told otherwise.
 * Reading needs no token only from loopback; everything else (triggering a job, a webhook,
 * reading from another host) needs `Authorization: Bearer <token>`. Like `kiln docs serve`,
 * it answers only requests addressed to its own host names (no DNS rebinding).
 * Owns routes and access; must not schedule (it asks the orchestrator).
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { timingSafeEqual, createHash } from 'node:crypto';
import { listenOn, resolveSiteFile } from '../docs/serve.js';
import type { History } from './history.js';
import { FINISHED } from './history.js';
import type { Orchestrator, OrchestratorEvent } from './orchestrator.js';
import { MONITOR_CSS, MONITOR_HTML, MONITOR_JS } from './page.js';

export interface ServerOptions {
  orchestrator: Orchestrator;
  history: History;
  /** The token for writes and for reads from other hosts. */
  token: string;
  /** A webhook trigger's own token, by environment variable name. */
  env?: NodeJS.ProcessEnv;
  host?: string;
  port?: number;
  /** The target folder holding the docs site (`kiln docs generate`), served under /docs/. */
  docsDir?: string;
  projectName: string;
}

const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src " +
  "'self' data:; connect-src 'self'; base-uri 'none'; form-action " +
  "'none'; frame-ancestors 'none'";
const DOCS_POLICY =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src " +
  "'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src " +
  "'self' data:; connect-src 'none'; base-uri 'none'; form-action " +
  "'none'; frame-ancestors 'none'";
const HARDENING = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const isLoopback = (address: string | undefined) =>
  address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

/** Compares digests, so neither the length nor the content of the token leaks through timing. */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return expected.length > 0 && timingSafeEqual(digest(given), digest(expected));
}

function bearer(req: http.IncomingMessage): string {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1] ?? '';
}

export async function startServer(opts: ServerOptions): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const { orchestrator, history } = opts;
  const host = opts.host ?? '127.0.0.1';
  const docsRoot = opts.docsDir ? await realpath(opts.docsDir).catch(() => undefined) : undefined;
  let hosts = new Set<string>();
  const streams = new Set<http.ServerResponse>();

  const json = (res: http.ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, {
      ...HARDENING,
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(JSON.stringify(body));
  };
  const fail = (res: http.ServerResponse, code: number, error: string) => json(res, code, { error });

  const stream = (
    _req: http.IncomingMessage,
    res: http.ServerResponse,
    accept: (e: OrchestratorEvent) => boolean,
    backlog: OrchestratorEvent[] = [],
    endWhen?: (e: OrchestratorEvent) => boolean,
  ) => {
    res.writeHead(200, {
      ...HARDENING,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    const send = (e: OrchestratorEvent) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    for (const e of backlog) send(e);
    if (endWhen && backlog.some(endWhen)) {
      res.end();
      return;
    }
    streams.add(res);
    const heartbeat = setInterval(() => res.write(': still here\n\n'), 15_000);
    const unsubscribe = orchestrator.subscribe((e) => {
      if (!accept(e)) return;
      send(e);
      if (endWhen?.(e)) res.end();
    });
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    // The response's close, not the request's: a GET request 'closes' as soon as its empty body is read.
    res.on('close', close);
  };

  /** `read`: open on loopback; `write`: always the service token; `own`: the route checks its own. */
  const routes: Array<{
    method: string;
    pattern: RegExp;
    access?: 'read' | 'write' | 'own';
    handle(req: http.IncomingMessage, res: http.ServerResponse, params: string[], url: URL): Promise<void> | void;
  }> = [
    { method: 'GET', pattern: /^\/$/, handle: (_q, res) => page(res, MONITOR_HTML(opts.projectName), '.html') },
    { method: 'GET', pattern: /^\/monitor\.js$/, handle: (_q, res) => page(res, MONITOR_JS, '.js') },
    { method: 'GET', pattern: /^\/monitor\.css$/, handle: (_q, res) => page(res, MONITOR_CSS, '.css') },
    {
      method: 'GET',
      pattern: /^\/api\/jobs$/,
      handle: async (_q, res) => json(res, 200, { jobs: await orchestrator.overview() }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/jobs\/([^/]+)\/trigger$/,
      access: 'write',
      handle: async (_q, res, [name]) => {
        if (!orchestrator.hasJob(name!)) return fail(res, 404, `no job named '${name}'`);
        json(res, 202, { run: await orchestrator.trigger(name!, 'manual', 'triggered through the API') });
      },
    },
    {
      // A webhook authenticates itself: with the job's own token if it names one, else the service token.
      method: 'POST',
      pattern: /^\/api\/webhooks\/([^/]+)$/,
      access: 'own',
      handle: async (req, res, [name]) => {
        const job = orchestrator.job(name!);
        const hook = job?.triggers.find((t) => t.kind === 'webhook');
        if (!job || !hook || hook.kind !== 'webhook')
          return fail(res, 404, `no job named '${name}' with a webhook trigger`);
        const expected = hook.tokenEnv ? ((opts.env ?? process.env)[hook.tokenEnv] ?? '') : opts.token;
        if (!sameToken(bearer(req), expected)) return fail(res, 401, 'a webhook needs Authorization: Bearer <token>');
        const from = req.headers['user-agent'] ? ` from ${String(req.headers['user-agent']).slice(0, 80)}` : '';
        json(res, 202, { run: await orchestrator.trigger(name!, 'webhook', `webhook call${from}`) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/runs$/,
      handle: async (_q, res, _p, url) =>
        json(res, 200, {
          runs: await history.runs({
            job: url.searchParams.get('job') ?? undefined,
            limit: Number(url.searchParams.get('limit') ?? 50) || 50,
          }),
        }),
    },
    {
      method: 'GET',
      pattern: /^\/api\/runs\/([0-9a-f-]+)$/,
      handle: async (_q, res, [id]) => {
        const run = await history.run(id!);
        if (!run) return fail(res, 404, `no run ${id}`);
        json(res, 200, { run, nodes: await history.nodes(id!) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/runs\/([0-9a-f-]+)\/events$/,
      handle: async (req, res, [id]) => {
        const mine = (e: OrchestratorEvent) =>
          (e.type === 'run' && e.run.run_id === id) || (e.type === 'node' && e.run_id === id);
        // What already happened first, from the history; then live events until the run ends. Live events are
        // caught from before the history is read: a node that finishes while it is read (its row still being
        // written) is in one or the other, and sent once.
        const caught: OrchestratorEvent[] = [];
        const stopCatching = orchestrator.subscribe((e) => void (mine(e) && caught.push(e)));
        let run: Awaited<ReturnType<typeof history.run>>;
        let nodes: Awaited<ReturnType<typeof history.nodes>>;
        try {
          run = await history.run(id!);
          nodes = run ? await history.nodes(id!) : [];
        } finally {
          stopCatching();
        }
        if (!run) return fail(res, 404, `no run ${id}`);
        const recorded = new Set(nodes.map((node) => node.unique_id));
        const backlog: OrchestratorEvent[] = [
          { type: 'run', run },
          ...nodes.map((node): OrchestratorEvent => ({ type: 'node', run_id: id!, phase: 'finished', node })),
          ...caught.filter((e) => !(e.type === 'node' && e.phase === 'finished' && recorded.has(e.node.unique_id))),
        ];
        const ends = (e: OrchestratorEvent) => e.type === 'run' && e.run.run_id === id && FINISHED.has(e.run.status);
        stream(req, res, mine, backlog, ends);
      },
    },
    { method: 'GET', pattern: /^\/api\/events$/, handle: (req, res) => stream(req, res, () => true) },
    {
      method: 'GET',
      pattern: /^\/api\/jobs\/([^/]+)\/trends$/,
      handle: async (_q, res, [name], url) =>
        json(res, 200, { nodes: await history.nodeTrends(name!, Number(url.searchParams.get('runs') ?? 30) || 30) }),
    },
    {
      method: 'GET',
      pattern: /^\/api\/tests\/failures$/,
      handle: async (_q, res) => json(res, 200, { failures: await history.testFailures() }),
    },
    {
      method: 'GET',
      pattern: /^\/api\/sources$/,
      handle: async (_q, res, _p, url) =>
        json(res, 200, {
          sources: await history.freshness(
            Date.now() - (Number(url.searchParams.get('hours') ?? 48) || 48) * 3_600_000,
          ),
        }),
    },
    {
      method: 'GET',
      pattern: /^\/api\/alerts$/,
      handle: async (_q, res) => json(res, 200, { alerts: await history.alerts() }),
    },
    { method: 'GET', pattern: /^\/docs(\/.*)?$/, handle: (_q, res, [rest]) => docs(res, rest ?? '/') },
  ];

  const page = (res: http.ServerResponse, body: string, ext: string) => {
    res.writeHead(200, {
      ...HARDENING,
      'content-security-policy': PAGE_POLICY,
      'content-type': TYPES[ext]!,
      'cache-control': 'no-cache',
    });
    res.end(body);
  };

  const docs = async (res: http.ServerResponse, rest: string) => {
    const file = docsRoot ? await resolveSiteFile(docsRoot, rest) : null;
    if (!file) return fail(res, 404, 'no docs site here yet: run `kiln docs generate` for the project');
    res.writeHead(200, {
      ...HARDENING,
      'content-security-policy': DOCS_POLICY,
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': (await stat(file)).size,
      'cache-control': 'no-cache',
    });
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const server = http.createServer((req, res) => {
    if (!hosts.has((req.headers.host ?? '').toLowerCase()))
      return fail(res, 421, 'this server answers only requests addressed to localhost or the address it listens on');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routes.find((r) => r.pattern.test(url.pathname) && r.method === req.method);
    if (!route) return fail(res, routes.some((r) => r.pattern.test(url.pathname)) ? 405 : 404, 'no such route');
    const access = route.access ?? 'read';
    const open = access === 'own' || (access === 'read' && isLoopback(req.socket.remoteAddress));
    if (!open && !sameToken(bearer(req), opts.token))
      return fail(
        res,
        401,
        access === 'write'
          ? 'this needs Authorization: Bearer <token>'
          : 'reading from another host needs Authorization: Bearer <token>',
      );
    req.resume();
    Promise.resolve(
      route.handle(
        req,
        res,
        route.pattern
          .exec(url.pathname)!
          .slice(1)
          .map((p) => (p === undefined ? p : decodeURIComponent(p))),
        url,
      ),
    ).catch((e) => {
      if (!res.headersSent) fail(res, 500, e instanceof Error ? e.message : String(e));
      else res.destroy();
    });
  });
  const listening = await listenOn(server, opts.port ?? 8580, host);
  hosts = listening.hosts;
  return {
    url: listening.url,
    port: listening.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
