/**
 * The v1 routes of the control API: path patterns, the methods each allows, and
 * handlers that validate input, call the AdminBackend and say what to reply.
 */
import type { AdminBackend } from './backend';
import { HttpError } from './http-json';
import {
  checkAclList,
  checkAdminUser,
  parseAdminPassword,
  parseNewAdmin,
  parseSettingsChange,
  parseTlsInstall,
  checkBlockKey,
  checkCidr,
  checkDid,
  checkNumber,
  checkRuleName,
  checkTrunkName,
  parseAclEntry,
  parseCdrQuery,
  parseDnsCheck,
  parseDefaultDestination,
  parseExtensionChange,
  parseLanguage,
  parseMove,
  parseNewDialRule,
  parseNewDid,
  parseNewExtension,
  parseNewTrunk,
  parseTrunkChange,
} from './validate';

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
    pattern: ['v1', 'status'],
    methods: { GET: async ({ backend }) => ({ status: 200, body: await backend.getStatus() }) },
  },
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
  {
    pattern: ['v1', 'trunks'],
    methods: {
      GET: async ({ backend }) => ({ status: 200, body: backend.listTrunks() }),
      POST: async (ctx) => {
        const input = parseNewTrunk(await ctx.body());
        return { status: 201, body: await ctx.backend.addTrunk(input) };
      },
    },
  },
  // Before /v1/trunks/:name, which would take "status" as a name ('status' is a reserved trunk name).
  {
    pattern: ['v1', 'trunks', 'status'],
    methods: { GET: async ({ backend }) => ({ status: 200, body: backend.listTrunkStatus() }) },
  },
  {
    pattern: ['v1', 'trunks', ':name'],
    methods: {
      PATCH: async (ctx) => {
        const name = checkTrunkName(param(ctx, 'name'));
        const input = parseTrunkChange(name, await ctx.body());
        return { status: 200, body: await ctx.backend.updateTrunk(name, input) };
      },
      DELETE: async (ctx) => {
        await ctx.backend.removeTrunk(checkTrunkName(param(ctx, 'name')));
        return { status: 204 };
      },
    },
  },
  {
    pattern: ['v1', 'dialplan'],
    methods: {
      GET: async ({ backend }) => ({ status: 200, body: backend.listDialPlan() }),
      POST: async (ctx) => {
        const input = parseNewDialRule(await ctx.body());
        return { status: 201, body: await ctx.backend.addDialRule(input) };
      },
    },
  },
  {
    pattern: ['v1', 'dialplan', ':name'],
    methods: {
      DELETE: async (ctx) => {
        await ctx.backend.removeDialRule(checkRuleName(param(ctx, 'name')));
        return { status: 204 };
      },
    },
  },
  {
    pattern: ['v1', 'dialplan', ':name', 'move'],
    methods: {
      POST: async (ctx) => {
        const name = checkRuleName(param(ctx, 'name'));
        const position = parseMove(await ctx.body());
        return { status: 200, body: await ctx.backend.moveDialRule(name, position) };
      },
    },
  },
  {
    pattern: ['v1', 'inbound'],
    methods: {
      GET: async ({ backend }) => ({ status: 200, body: backend.getInbound() }),
      POST: async (ctx) => {
        const entry = parseNewDid(await ctx.body());
        return { status: 200, body: await ctx.backend.addDid(entry) };
      },
    },
  },
  // Before /v1/inbound/:did; "default" is no DID (those are digits, * and #).
  {
    pattern: ['v1', 'inbound', 'default'],
    methods: {
      PUT: async (ctx) => {
        const extension = parseDefaultDestination(await ctx.body());
        return { status: 200, body: await ctx.backend.setDefaultDestination(extension) };
      },
    },
  },
  {
    pattern: ['v1', 'inbound', ':did'],
    methods: { DELETE: async (ctx) => ({ status: 200, body: await ctx.backend.removeDid(checkDid(param(ctx, 'did'))) }) },
  },
  {
    pattern: ['v1', 'settings', 'language'],
    methods: {
      GET: async ({ backend }) => ({ status: 200, body: backend.getLanguage() }),
      PUT: async (ctx) => {
        const language = parseLanguage(await ctx.body());
        return { status: 200, body: await ctx.backend.setLanguage(language) };
      },
    },
  },
  {
    pattern: ['v1', 'admins'],
    methods: {
      GET: async ({ backend }) => ({ status: 200, body: backend.listAdmins() }),
      POST: async (ctx) => ({ status: 201, body: await ctx.backend.addAdmin(parseNewAdmin(await ctx.body())) }),
    },
  },
  {
    pattern: ['v1', 'admins', ':user'],
    methods: {
      DELETE: async (ctx) => {
        await ctx.backend.removeAdmin(checkAdminUser(param(ctx, 'user')));
        return { status: 204 };
      },
    },
  },
  {
    pattern: ['v1', 'admins', ':user', 'password'],
    methods: {
      PUT: async (ctx) => {
        const user = checkAdminUser(param(ctx, 'user'));
        return { status: 200, body: await ctx.backend.setAdminPassword(user, parseAdminPassword(user, await ctx.body())) };
      },
    },
  },
  {
    pattern: ['v1', 'admins', ':user', 'unlock'],
    methods: { POST: async (ctx) => ({ status: 200, body: await ctx.backend.unlockAdmin(checkAdminUser(param(ctx, 'user'))) }) },
  },
  {
    pattern: ['v1', 'tls'],
    methods: {
      GET: async ({ backend }) => ({ status: 200, body: backend.getTls() }),
      PUT: async (ctx) => ({ status: 200, body: await ctx.backend.installTls(parseTlsInstall(await ctx.body())) }),
    },
  },
  {
    pattern: ['v1', 'settings'],
    methods: {
      GET: async ({ backend }) => ({ status: 200, body: backend.getSettings() }),
      PATCH: async (ctx) => ({ status: 200, body: await ctx.backend.updateSettings(parseSettingsChange(await ctx.body())) }),
    },
  },
  {
    pattern: ['v1', 'diag', 'dns'],
    methods: { POST: async (ctx) => ({ status: 200, body: await ctx.backend.checkDns(parseDnsCheck(await ctx.body())) }) },
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
