/**
 * The v1 routes of the control API: path patterns, the methods each allows, and
 * handlers that validate input, call the AdminBackend and say what to reply.
 */
import type { AdminBackend } from './backend';
import { HttpError } from './http-json';
import { checkAclList, checkBlockKey, checkCidr, checkNumber, parseAclEntry, parseCdrQuery, parseExtensionChange, parseNewExtension } from './validate';

export interface RouteContext {
  backend: AdminBackend;
  /** Decoded path parameters. */
  params: Record<string, string>;
  /** The query string of the request target (routes that take none ignore it). */
  query: URLSearchParams;
  /** Reads and parses the JSON body (only routes that take one call it). */
  body(): Promise<unknown>;
}

export interface RouteResult {
  status: number;
  /** undefined: no body (204). */
  body?: unknown;
}

export type Handler = (ctx: RouteContext) => Promise<RouteResult>;

interface Route {
  /** Segments after the leading '/'; ':name' captures one segment. */
  pattern: readonly string[];
  methods: Readonly<Record<string, Handler>>;
}

const param = (ctx: RouteContext, name: string): string => ctx.params[name] ?? '';

export const ROUTES: readonly Route[] = [
  {
    pattern: ['v1', 'extensions'],
    methods: {
      GET: async ({ backend }) => ({ status: 200, body: backend.listExtensions() }),
      POST: async (ctx) => {
        const input = parseNewExtension(await ctx.body());
        return { status: 201, body: await ctx.backend.addExtension(input) };
      },
    },
  },
  {
    pattern: ['v1', 'extensions', ':number'],
    methods: {
      PATCH: async (ctx) => {
        const number = checkNumber(param(ctx, 'number'));
        const input = parseExtensionChange(number, await ctx.body());
        return { status: 200, body: await ctx.backend.updateExtension(number, input) };
      },
      DELETE: async (ctx) => {
        await ctx.backend.removeExtension(checkNumber(param(ctx, 'number')));
        return { status: 204 };
      },
    },
  },
  {
    pattern: ['v1', 'registrations'],
    methods: { GET: async ({ backend }) => ({ status: 200, body: backend.listRegistrations() }) },
  },
  {
    pattern: ['v1', 'registrations', ':aor', 'ping'],
    methods: { POST: async (ctx) => ({ status: 200, body: await ctx.backend.pingRegistrations(checkNumber(param(ctx, 'aor'))) }) },
  },
  {
    pattern: ['v1', 'acl'],
    methods: {
      GET: async ({ backend }) => ({ status: 200, body: backend.listAcl() }),
      POST: async (ctx) => {
        const { list, cidr } = parseAclEntry(await ctx.body());
        return { status: 200, body: await ctx.backend.addAcl(list, cidr) };
      },
    },
  },
  {
    pattern: ['v1', 'acl', ':list', ':cidr'],
    methods: {
      DELETE: async (ctx) => {
        const list = checkAclList(param(ctx, 'list'));
        const cidr = checkCidr(param(ctx, 'cidr'));
        return { status: 200, body: await ctx.backend.removeAcl(list, cidr) };
      },
    },
  },
  {
    pattern: ['v1', 'blocks'],
    methods: { GET: async ({ backend }) => ({ status: 200, body: backend.listBlocks() }) },
  },
  {
    pattern: ['v1', 'blocks', ':key'],
    methods: {
      DELETE: async (ctx) => {
        await ctx.backend.removeBlock(checkBlockKey(param(ctx, 'key')));
        return { status: 204 };
      },
    },
  },
  {
    pattern: ['v1', 'calls'],
    methods: { GET: async ({ backend }) => ({ status: 200, body: backend.listCalls() }) },
  },
  {
    pattern: ['v1', 'cdr'],
    methods: { GET: async (ctx) => ({ status: 200, body: ctx.backend.listCdrs(parseCdrQuery(ctx.query)) }) },
  },
];

export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

/** The path of a request target, without query or fragment. */
export function pathOf(target: string): string {
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

/** The query string of a request target (without '?' and fragment) as parameters. */
export function queryOf(target: string): URLSearchParams {
  const start = target.search(/[?#]/);
  if (start === -1 || target[start] === '#') return new URLSearchParams();
  const hash = target.indexOf('#', start);
  return new URLSearchParams(target.slice(start + 1, hash === -1 ? undefined : hash));
}

/**
 * Finds the route of `method` on `path` (raw, percent-encoded). Parameters are decoded;
 * a malformed escape is a 400 naming the parameter.
 */
export function matchRoute(method: string, path: string, routes: readonly Route[] = ROUTES): RouteMatch {
  if (!path.startsWith('/')) return { kind: 'not-found' };
  const segments = path.slice(1).split('/');
  for (const route of routes) {
    if (route.pattern.length !== segments.length) continue;
    const raw: Record<string, string> = {};
    const fits = route.pattern.every((p, i) => {
      const s = segments[i] as string;
      if (p.startsWith(':')) {
        raw[p.slice(1)] = s;
        return s !== '';
      }
      return p === s;
    });
    if (!fits) continue;
    const handler = Object.prototype.hasOwnProperty.call(route.methods, method) ? route.methods[method] : undefined;
    if (handler === undefined) return { kind: 'method-not-allowed', allow: Object.keys(route.methods) };
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      try {
        params[name] = decodeURIComponent(value);
      } catch {
        throw new HttpError(400, 'EDGESIP_ERR_INVALID', 'is not valid URL encoding', name);
      }
    }
    return { kind: 'found', handler, params };
  }
  return { kind: 'not-found' };
}
