/**
 * edgesipd — composition root of the SIP server. The only place that creates sockets
 * and the real clock; everything below receives them.
 *
 *   node dist/edgesipd.js --data-dir DIR [--sip-port N] [--tls-port N] [--listen ADDR]...
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer, isIP, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import webAssets from 'edgesip:web-assets';
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../config/store';
import type { EdgesipConfig } from '../config/schema';
import { DaemonAdminBackend, defaultDnsCheckNames, type ConfigHolder } from '../daemon/admin-backend';
import { RegistrationWatch } from '../daemon/registration-watch';
import { collectStatus, type Listening } from '../daemon/status';
import { SipService } from '../daemon/sip-service';
import { startControlServer } from '../control/server';
import { SecretStore } from '../pbx/accounts/secret-store';
import { BlocksFile, loadBlocks } from '../pbx/guard/blocks-file';
import { Guard } from '../pbx/guard/guard';
import { CdrLog } from '../pbx/cdr/cdr-log';
import { TrunkService } from '../pbx/trunks/trunk-service';
import { NodeDnsQueries } from '../platform/dns-queries';
import { checkDns, type DnsCheckResolver } from '../pbx/diagnostics/dns-check';
import { localAddressFor } from '../platform/local-address';
import { LocationStore } from '../pbx/registrar/location-store';
import { Registrar } from '../pbx/registrar/registrar';
import { loadRegistrations, RegistrationSnapshot } from '../pbx/registrar/snapshot';
import { createLogger, type Logger } from '../platform/logger';
import { realClock } from '../platform/real-clock';
import { readSystemHealth } from '../platform/system-health';
import { daysLeft, ensureTlsIdentity, type TlsIdentity } from '../platform/tls-identity';
import { SipTransportLayer } from '../sip/transport/transport-layer';
import { AdminAccess } from '../web/admin-access';
import { AdminAccounts, AdminAccountsError } from '../web/admin-accounts';
import { generatePassword } from '../platform/generated-password';
import { LoginThrottle } from '../web/login-throttle';
import { SessionStore } from '../web/sessions';
import { createRedirectApp, createWebApp } from '../web/web-app';
import { VERSION } from '../version';

/** Exit codes; 3 tells systemd not to restart into the same bad config. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_BAD_CONFIG = 3;

const USAGE = `usage: edgesipd --data-dir DIR [--sip-port N] [--tls-port N] [--web-port N] [--listen ADDR]...
  --data-dir DIR   configuration and state (config.json is created with defaults)
  --sip-port N     UDP and TCP port (default from config, 5060; 0 picks a free one)
  --tls-port N     TLS port (default from config, 5061; 0 picks a free one)
  --web-port N     HTTPS admin port (default from config, 8443, where 0 turns it
                   off; on the command line 0 picks a free one)
  --listen ADDR    listen address, repeatable (default from config: 0.0.0.0 and ::)
  --dns-server A   DNS server for trunk lookups, ADDR or ADDR:PORT, repeatable
                   (default: the system's resolv.conf)`;

interface Args {
  dataDir: string;
  sipPort?: number;
  tlsPort?: number;
  webPort?: number;
  listen?: string[];
  dnsServers?: string[];
}

function parseCommandLine(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      'sip-port': { type: 'string' },
      'tls-port': { type: 'string' },
      'web-port': { type: 'string' },
      listen: { type: 'string', multiple: true },
      'dns-server': { type: 'string', multiple: true },
      help: { type: 'boolean' },
      version: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(EXIT_OK);
  }
  if (values.version) {
    process.stdout.write(`edgesipd ${VERSION}\n`);
    process.exit(EXIT_OK);
  }
  if (!values['data-dir']) throw new UsageError('--data-dir is required');
  const port = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`--${name}: "${v}" is not a port number (0-65535)`);
    return n;
  };
  const args: Args = { dataDir: resolve(values['data-dir']) };
  const sipPort = port('sip-port', values['sip-port']);
  const tlsPort = port('tls-port', values['tls-port']);
  if (sipPort !== undefined) args.sipPort = sipPort;
  if (tlsPort !== undefined) args.tlsPort = tlsPort;
  const webPort = port('web-port', values['web-port']);
  if (webPort !== undefined) args.webPort = webPort;
  if (values.listen) {
    for (const a of values.listen) if (!isIP(a)) throw new UsageError(`--listen: "${a}" is not an IP address`);
    args.listen = values.listen;
  }
  if (values['dns-server']) args.dnsServers = values['dns-server'];
  return args;
}

class UsageError extends Error {
  readonly code = 'EDGESIP_ERR_USAGE';
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`edgesipd: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(EXIT_USAGE);
  }
  mkdirSync(args.dataDir, { recursive: true, mode: 0o700 });

  let config: EdgesipConfig;
  let created: boolean;
  try {
    ({ config, created } = loadConfig(args.dataDir));
  } catch (err) {
    if (err instanceof ConfigError) {
      // Before the logger exists the level is unknown: log the refusal at error level.
      const log = createLogger('info');
      log.error({ code: err.code, file: err.file, problems: err.problems }, 'config refused; the file was left unchanged');
      process.exit(EXIT_BAD_CONFIG);
    }
    throw err;
  }
  const logger = createLogger(config.log.level);
  logger.info({ version: VERSION, node: process.version, dataDir: args.dataDir, configCreated: created }, 'edgesipd starting');

  let identity = ensureTlsIdentity(args.dataDir, config.tls.certFile, config.tls.keyFile);
  logTlsIdentity(logger, identity);

  let accounts: AdminAccounts;
  try {
    accounts = AdminAccounts.load(args.dataDir);
  } catch (err) {
    if (err instanceof AdminAccountsError) {
      logger.error({ code: err.code }, err.message);
      process.exit(EXIT_BAD_CONFIG);
    }
    throw err;
  }
  if (accounts.list().length === 0) await createFirstAdmin(accounts, logger);

  const clock = realClock();
  const transport = new SipTransportLayer({
    clock,
    logger,
    maxMessageBytes: config.sip.maxMessageBytes,
    idleTimeoutMs: config.sip.idleTimeoutSeconds * 1000,
    connect: (kind, remote) =>
      kind === 'TLS'
        ? tlsConnect({ host: remote.address, port: remote.port, cert: identity.cert, key: identity.key, minVersion: holder.current.tls.minVersion, rejectUnauthorized: false })
        : createConnection({ host: remote.address, port: remote.port }),
    onRequest: (req, flow) => service.receiveRequest(req, flow),
    onResponse: (res, flow) => service.receiveResponse(res, flow),
    onConnectionClosed: (flow) => service.connectionClosed(flow),
  });
  const realm = config.sip.realm || hostname() || 'edgesip';
  const holder: ConfigHolder = { current: config };
  const { store: secrets, warnings: secretWarnings } = SecretStore.load(args.dataDir, realm);
  for (const w of secretWarnings) logger.warn({ warning: w }, 'secrets');

  const registrations = new RegistrationSnapshot(args.dataDir, clock, 1000, (err) => logger.warn({ err: String(err) }, 'registrations not saved'));
  const locations: LocationStore = new LocationStore({ clock, onChange: () => registrations.scheduleSave(() => locations.all()) });
  const loaded = loadRegistrations(args.dataDir, clock.now());
  for (const w of loaded.warnings) logger.warn({ warning: w }, 'registrations');
  logger.info({ restored: locations.restore(loaded.bindings) }, 'registrations restored');
  const registrar = new Registrar({ store: locations, config: config.registrar, clock, logger, headers: [{ name: 'Server', value: `EdgeSIP/${VERSION}` }] });

  const blocksFile = new BlocksFile(args.dataDir, clock, 1000, (err) => logger.warn({ err: String(err) }, 'blocks not saved'));
  const storedBlocks = loadBlocks(args.dataDir);
  if (storedBlocks.warning) logger.warn({ warning: storedBlocks.warning }, 'blocks');
  const guard: Guard = new Guard({
    config: config.guard,
    acl: config.acl,
    clock,
    logger,
    initialBlocks: storedBlocks.blocks,
    onChange: () => blocksFile.scheduleSave(() => guard.snapshot()),
  });

  const cdr = new CdrLog({ dir: join(args.dataDir, 'cdr'), clock, retentionDays: config.calls.cdrRetentionDays, logger });
  const service = new SipService({
    clock,
    logger,
    transport,
    realm,
    config: holder,
    secrets,
    guard,
    registrar,
    locations,
    records: cdr,
    localAddressFor: (remote) => localAddressFor(remote),
  });
  const trunks = new TrunkService({
    clock,
    logger,
    config: holder,
    passwords: secrets,
    dns: new NodeDnsQueries(args.dnsServers ? { servers: args.dnsServers } : {}),
    net: service.trunkSignalling(),
  });
  service.setTrunks(trunks);
  // Filled in once the sockets are bound (status shows them).
  const listening: Listening = { udp: [], tcp: [], tls: [], web: [] };
  // Every phone gone at once while the network looks fine is, more often than not, DNS
  // (the ISP's resolver answering differently for the server's name): check it by
  // ourselves and put the findings in the journal.
  const watch = new RegistrationWatch({
    clock,
    registered: () => new Set(locations.all().map((b) => b.aor)).size,
    onMassDrop: (dropped) => {
      const names = defaultDnsCheckNames(holder.current);
      if (names.length === 0) {
        logger.warn({ dropped }, 'every registered extension dropped; no DNS name configured to check');
        return;
      }
      runDnsCheck(names, args.dnsServers, holder.current.diagnostics.publicResolvers).then(
        (report) =>
          logger.warn(
            { dropped, names, findings: report.findings, commands: report.commands.slice(0, 6) },
            report.findings.length > 0 ? 'every registered extension dropped; the DNS check found problems' : 'every registered extension dropped; the DNS check found nothing wrong',
          ),
        (err: Error) => logger.warn({ dropped, err: err.message }, 'every registered extension dropped; the DNS check failed'),
      );
    },
  });
  const access = new AdminAccess(accounts, new LoginThrottle(clock), new SessionStore(clock, () => holder.current.web.idleTimeoutMinutes * 60_000), clock);
  // Servers presenting the certificate: SIP-TLS and the HTTPS admin (filled in once bound).
  const tlsServers: TlsServer[] = [];
  const webServers: HttpsServer[] = [];
  const useTls = (next: TlsIdentity) => {
    identity = next;
    for (const s of tlsServers) s.setSecureContext({ cert: next.cert, key: next.key, minVersion: holder.current.tls.minVersion });
    for (const s of webServers) s.setSecureContext({ cert: next.cert, key: next.key, minVersion: holder.current.web.tlsMinVersion });
    logTlsIdentity(logger, next);
  };
  const backend = new DaemonAdminBackend({
    dataDir: args.dataDir,
    config: holder,
    secrets,
    locations,
    guard,
    clock,
    ping: (b) => service.ping(b),
    calls: { list: () => service.calls.list() },
    cdr,
    trunkStatus: { list: () => trunks.status() },
    // Trunk changes (credentials, addresses, enabling) take effect at once.
    onConfigChange: (next) => trunks.apply(next),
    admins: access,
    tls: { current: () => identity, use: useTls },
    dnsCheck: (names) => runDnsCheck(names, args.dnsServers, holder.current.diagnostics.publicResolvers),
    status: () =>
      collectStatus({
        version: VERSION,
        uptimeSeconds: () => process.uptime(),
        system: () => readSystemHealth({ dataDir: args.dataDir }),
        listening: () => listening,
        extensions: () => holder.current.extensions.length,
        bindings: () => locations.all(),
        calls: () => service.calls.list(),
        trunks: () => trunks.status(),
        blocks: () => guard.list().length,
        tls: () => ({ notAfter: identity.notAfter, daysLeft: daysLeft(identity), selfSigned: identity.selfSigned }),
      }),
  });
  const control = await startControlServer({ socketPath: join(args.dataDir, 'control.sock'), backend, logger });

  // Signal handlers first: a SIGTERM that arrives while binding must still stop cleanly.
  const servers: (Server | HttpServer)[] = [];
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'edgesipd stopping');
    const force = setTimeout(() => process.exit(EXIT_FAILURE), 5000);
    force.unref();
    // Calls in progress are hung up (BYE both sides) and recorded before the sockets go.
    service.calls.hangupAll();
    // Registrations are removed (Expires: 0) before the transactions close; a provider
    // that does not answer within the grace time keeps the binding until it expires.
    const unregistered = Promise.race([trunks.close(), new Promise((r) => setTimeout(r, 1500))]);
    void unregistered.then(() => service.close());
    for (const s of servers) s.close();
    watch.stop();
    locations.close();
    guard.close();
    Promise.all([unregistered.then(() => transport.close()), control.close(), registrations.flush(), blocksFile.flush(), cdr.close()]).then(
      () => {
        logger.info({}, 'edgesipd stopped');
        process.exit(EXIT_OK);
      },
      () => process.exit(EXIT_FAILURE),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const listen = args.listen ?? config.sip.listen;
  const bound = await bindAll(logger, transport, listen, args.sipPort ?? config.sip.port, args.tlsPort ?? config.sip.tlsPort, config, identity);
  servers.push(...bound.servers);
  tlsServers.push(...bound.tlsServers);
  const web = await startWeb(logger, listen, args.webPort ?? config.web.port, args.webPort !== undefined, holder.current, identity, createWebApp({
    backend,
    access,
    assets: webAssets,
    logger,
    idleTimeoutMinutes: () => holder.current.web.idleTimeoutMinutes,
  }));
  servers.push(...web.servers);
  webServers.push(...web.https);
  Object.assign(listening, { udp: bound.udp, tcp: bound.tcp, tls: bound.tls, web: web.urls });
  logger.info({ udp: bound.udp, tcp: bound.tcp, tls: bound.tls, web: web.urls, webRedirect: web.redirect }, 'edgesipd listening');
  // Trunks register once the sockets exist (their Via and Contact name them).
  trunks.apply();
  watch.start();
}

/** Longest wait for one answer in the DNS check (`edgesip diag dns`). */
const DNS_CHECK_TIMEOUT_MS = 3000;

/**
 * The DNS check: the system resolver (or the --dns-server ones) against each configured
 * public resolver, fresh resolvers every time (no cache between runs).
 */
function runDnsCheck(names: string[], systemServers: string[] | undefined, publicResolvers: readonly string[]) {
  const make = (servers: string[] | undefined) => new NodeDnsQueries({ ...(servers ? { servers } : {}), timeoutMs: DNS_CHECK_TIMEOUT_MS });
  const resolvers: DnsCheckResolver[] = [
    { label: 'system', dns: make(systemServers) },
    ...publicResolvers.map((address) => ({ label: address, server: address, dns: make([address]) })),
  ];
  return checkDns(names, resolvers, { timeoutMs: DNS_CHECK_TIMEOUT_MS });
}

function logTlsIdentity(logger: Logger, identity: TlsIdentity): void {
  const days = daysLeft(identity);
  const info = { certFile: identity.certFile, selfSigned: identity.selfSigned, notAfter: identity.notAfter.toISOString(), san: identity.subjectAltName };
  if (days < 0) logger.error({ ...info, daysLeft: days }, 'tls certificate has expired');
  else if (days < 30) logger.warn({ ...info, daysLeft: days }, 'tls certificate expires soon');
  else logger.info(info, 'tls certificate loaded');
}

interface Bound {
  udp: string[];
  tcp: string[];
  tls: string[];
  servers: Server[];
  tlsServers: TlsServer[];
}

/**
 * No fixed default password, ever: the first start makes `admin` a random one and
 * shows it once, on stderr (the console, or the journal under systemd) — never in the
 * JSON log. `edgesip admin passwd` replaces it.
 */
async function createFirstAdmin(accounts: AdminAccounts, logger: Logger): Promise<void> {
  const password = generatePassword();
  await accounts.setPassword('admin', password);
  process.stderr.write(
    [
      '',
      '================================================================',
      ' EdgeSIP web admin: user "admin", initial password (shown once):',
      `   ${password}`,
      ' Change it: edgesip admin passwd     修改密码：edgesip admin passwd',
      '================================================================',
      '',
    ].join('\n'),
  );
  logger.warn({ user: 'admin' }, 'web admin account created with a generated password, shown once on stderr; change it with edgesip admin passwd');
}

interface WebBound {
  https: HttpsServer[];
  servers: (Server | HttpServer)[];
  urls: string[];
  redirect: string[];
}

/**
 * The HTTPS admin on every listen address (port 0 from the config: off; from the
 * command line: a free port, the same for every address), and the optional plain-HTTP
 * port that only redirects. Same certificate as SIP-TLS.
 */
async function startWeb(
  logger: Logger,
  listen: string[],
  port: number,
  zeroPicks: boolean,
  config: EdgesipConfig,
  identity: TlsIdentity,
  app: ReturnType<typeof createWebApp>,
): Promise<WebBound> {
  const out: WebBound = { https: [], servers: [], urls: [], redirect: [] };
  if (port === 0 && !zeroPicks) {
    logger.info({}, 'web admin off (web.port is 0)');
    return out;
  }
  let webPort = port;
  for (const address of listen) {
    const server = createHttpsServer({ cert: identity.cert, key: identity.key, minVersion: config.web.tlsMinVersion }, app);
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    try {
      await listenTcp(server, address, webPort);
    } catch (err) {
      if (isIP(address) === 6 && isNoIpv6(err)) continue;
      throw err;
    }
    webPort = (server.address() as { port: number }).port;
    out.https.push(server);
    out.servers.push(server);
    out.urls.push(isIP(address) === 6 ? `[${address}]:${webPort}` : `${address}:${webPort}`);
  }
  const redirectPort = config.web.httpRedirectPort;
  if (redirectPort !== 0 && out.https.length > 0) {
    for (const address of listen) {
      const server = createHttpServer(createRedirectApp(() => webPort));
      try {
        await listenTcp(server, address, redirectPort);
      } catch (err) {
        if (isIP(address) === 6 && isNoIpv6(err)) continue;
        throw err;
      }
      out.servers.push(server);
      out.redirect.push(isIP(address) === 6 ? `[${address}]:${redirectPort}` : `${address}:${redirectPort}`);
    }
  }
  return out;
}

/**
 * Bind UDP and TCP on the same port for every listen address (port 0: the first
 * socket picks, the others follow), and TLS on its own port. An IPv6 wildcard on a
 * host without IPv6 is skipped with a warning; any other bind failure is fatal.
 */
async function bindAll(
  logger: Logger,
  transport: SipTransportLayer,
  listen: string[],
  sipPort: number,
  tlsPort: number,
  config: EdgesipConfig,
  identity: TlsIdentity,
): Promise<Bound> {
  const bound: Bound = { udp: [], tcp: [], tls: [], servers: [], tlsServers: [] };
  let port = sipPort;
  let securePort = tlsPort;
  let retries = 0;
  listen = [...listen];
  while (listen.length > 0) {
    const address = listen.shift()!;
    const family = isIP(address) === 6 ? 6 : 4;
    let udp: UdpSocket;
    try {
      udp = await bindUdp(address, port, family);
    } catch (err) {
      if (family === 6 && isNoIpv6(err)) {
        logger.warn({ address, code: (err as NodeJS.ErrnoException).code }, 'ipv6 unavailable; not listening on it');
        continue;
      }
      throw err;
    }
    let tcp: Server;
    try {
      tcp = await listenTcp(createServer(), address, udp.address().port);
    } catch (err) {
      // A port picked at random for UDP may be taken on TCP: pick again.
      udp.close();
      if (port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && ++retries < 10) {
        listen.unshift(address);
        continue;
      }
      throw err;
    }
    port = udp.address().port;
    const tls = await listenTcp(
      createTlsServer({ cert: identity.cert, key: identity.key, minVersion: config.tls.minVersion, honorCipherOrder: true }),
      address,
      securePort,
    );
    securePort = (tls.address() as { port: number }).port;
    transport.addUdpSocket(udp);
    transport.addStreamServer(tcp, 'TCP');
    transport.addStreamServer(tls, 'TLS');
    const show = (p: number) => (family === 6 ? `[${address}]:${p}` : `${address}:${p}`);
    bound.udp.push(show(port));
    bound.tcp.push(show(port));
    bound.tls.push(show(securePort));
    bound.servers.push(tcp, tls);
    bound.tlsServers.push(tls);
  }
  if (bound.udp.length === 0) throw new Error('no listen address could be bound');
  return bound;
}

function bindUdp(address: string, port: number, family: 4 | 6): Promise<UdpSocket> {
  return new Promise((resolvePromise, reject) => {
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6 });
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolvePromise(socket);
    });
  });
}

function listenTcp<T extends Server>(server: T, address: string, port: number): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, ipv6Only: isIP(address) === 6 }, () => {
      server.off('error', reject);
      resolvePromise(server);
    });
  });
}

function isNoIpv6(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL' || code === 'EPROTONOSUPPORT';
}

main().catch((err: Error) => {
  process.stderr.write(`edgesipd: ${err.stack ?? err.message}\n`);
  process.exit(EXIT_FAILURE);
});
