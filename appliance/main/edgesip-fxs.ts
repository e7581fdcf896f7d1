/**
 * edgesip-fxs — composition root of the FXS gateway agent: the only place that opens
 * the serial port, binds the SIP and RTP sockets and makes the real clock.
 *
 *   node dist/edgesip-fxs.js --data-dir DIR [--log-level LEVEL]
 *   node dist/edgesip-fxs.js simulate --lines N --link PATH [--script FILE]
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { mkdirSync } from 'node:fs';
import { createConnection, isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { parseArgs } from 'node:util';
import { FxsAgent } from '../fxs/agent';
import { FxsConfigError, loadFxsConfig, serialCapacityWarning, type FxsConfig } from '../fxs/config';
import type { LineRtp } from '../fxs/line/fxs-line';
import type { DatagramSocket } from '../fxs/media/rtp-session';
import { BoardConnection } from '../fxs/serial/board-connection';
import { runSimulate } from '../fxs/simulator/simulate-command';
import { GatewaySip } from '../fxs/sip/gateway-sip';
import { startFxsStatusServer } from '../fxs/status-server';
import { localAddressFor } from '../platform/local-address';
import { createLogger } from '../platform/logger';
import { realClock } from '../platform/real-clock';
import { openSerialStream } from '../platform/serial-port-stream';
import { hostLiteral, type Endpoint } from '../sip/transport/flow';
import { SipTransportLayer } from '../sip/transport/transport-layer';
import { VERSION } from '../version';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const EXIT_BAD_CONFIG = 3;
/** OPTIONS keepalive of the shared flow: well inside the 30-60 s UDP NAT timeouts of home routers. */
const KEEPALIVE_MS = 25_000;

const USAGE = `usage: edgesip-fxs --data-dir DIR [--log-level LEVEL]
       edgesip-fxs simulate --lines N --link PATH [--script FILE]
  --data-dir DIR   holds fxs.json (created with defaults, no lines, when missing),
                   fxs.sock (the status socket for \`edgesip fxs status\`)
  --log-level L    trace, debug, info (default), warn or error
  simulate         a line board simulator on a pseudo-terminal (see docs/fxs.md)`;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'simulate') {
    return runSimulate(argv.slice(1), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
  }
  let values: { 'data-dir'?: string; 'log-level'?: string; help?: boolean; version?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean' }, version: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`edgesip-fxs: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (values.version) {
    process.stdout.write(`edgesip-fxs ${VERSION}\n`);
    return EXIT_OK;
  }
  const level = values['log-level'] ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(level)) {
    process.stderr.write(`edgesip-fxs: --log-level: "${level}" is not one of trace, debug, info, warn, error\n`);
    return EXIT_USAGE;
  }
  if (!values['data-dir']) {
    process.stderr.write(`edgesip-fxs: --data-dir is required\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const dataDir = resolve(values['data-dir']);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const logger = createLogger(level, undefined, 'edgesip-fxs');

  let config: FxsConfig;
  try {
    ({ config } = loadFxsConfig(dataDir));
  } catch (err) {
    if (err instanceof FxsConfigError) {
      logger.error({ code: err.code, file: err.file, problems: err.problems }, 'fxs config refused; the file was left unchanged');
      return EXIT_BAD_CONFIG;
    }
    throw err;
  }
  logger.info({ version: VERSION, node: process.version, dataDir, lines: config.lines.filter((l) => l.enabled).length }, 'edgesip-fxs starting');
  const slowLink = serialCapacityWarning(config);
  if (slowLink !== undefined) logger.warn({ baudRate: config.serial.baudRate }, slowLink);

  const server = await resolveServer(config);
  const clock = realClock();
  const localIp = config.local.address === '0.0.0.0' || config.local.address === '::' ? localAddressFor(server.address) : config.local.address;
  let localPort = 0;
  const transport = new SipTransportLayer({
    clock,
    logger,
    connect: (kind, remote) => (kind === 'TLS' ? tlsConnect({ host: remote.address, port: remote.port, rejectUnauthorized: false, servername: config.server.host }) : createConnection({ host: remote.address, port: remote.port })),
    onRequest: (req, flow) => sip.receiveRequest(req, flow),
    onResponse: (res, flow) => sip.receiveResponse(res, flow),
    onConnectionClosed: (flow) => sip.connectionClosed(flow),
  });
  const sip: GatewaySip = new GatewaySip({
    clock,
    logger,
    transport,
    server: { transport: config.server.transport, endpoint: server, domain: config.server.domain || config.server.host },
    local: () => ({ address: localIp, port: localPort }),
  });
  // One UDP socket for every line's signalling (over TCP/TLS, one connection the
  // transport opens to the server; the socket then only answers UDP keepalives).
  const family = isIP(server.address) === 6 ? 6 : 4;
  const udp = await bindUdp(config.local.address, config.local.sipPort, family);
  transport.addUdpSocket(udp);
  localPort = udp.address().port;

  const rtp = new Map<number, LineRtp>();
  let slot = 0;
  for (const l of config.lines) {
    if (!l.enabled) continue;
    const port = config.local.rtpPortMin + 2 * slot++;
    rtp.set(l.line, { address: localIp, port, socket: datagramSocket(await bindUdp(config.local.address, port, family)) });
  }

  const board = new BoardConnection({ open: () => openSerialStream(config.serial.path, config.serial.baudRate), clock, logger, reconnectMs: 1000 });
  const agent = new FxsAgent({ config, clock, logger, board, sip, rtp, version: VERSION, local: () => `${hostLiteral(localIp)}:${localPort}` });
  const status = await startFxsStatusServer({ socketPath: join(dataDir, 'fxs.sock'), status: () => agent.status(), logger });
  agent.start();
  sip.startKeepalive(KEEPALIVE_MS);
  logger.info({ sip: `${hostLiteral(localIp)}:${localPort}`, server: `${config.server.transport} ${hostLiteral(server.address)}:${server.port}`, serial: config.serial.path }, 'edgesip-fxs running');

  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'edgesip-fxs stopping');
      const force = setTimeout(() => process.exit(EXIT_FAILURE), 5000);
      force.unref();
      // Lines unregister (Expires: 0) before the sockets close, within a grace time.
      const unregistered = Promise.race([agent.stop(), new Promise((r) => setTimeout(r, 2000))]);
      void unregistered
        .then(() => Promise.all([status.close(), transport.close()]))
        .then(() => {
          sip.close();
          for (const r of rtp.values()) r.socket.close();
          logger.info({}, 'edgesip-fxs stopped');
          done();
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  return EXIT_OK;
}

/** The server's address: an IP literal as is, a name through the system resolver. */
async function resolveServer(config: FxsConfig): Promise<Endpoint> {
  const host = config.server.host;
  if (isIP(host)) return { address: host, port: config.server.port };
  const { address } = await lookup(host);
  return { address, port: config.server.port };
}

function bindUdp(address: string, port: number, family: 4 | 6): Promise<UdpSocket> {
  return new Promise((resolveBind, reject) => {
    const wildcard = address === '0.0.0.0' || address === '::';
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    socket.once('error', reject);
    socket.bind(port, wildcard ? undefined : address, () => {
      socket.off('error', reject);
      resolveBind(socket);
    });
  });
}

function datagramSocket(socket: UdpSocket): DatagramSocket {
  return {
    send: (data, port, address) => socket.send(data, port, address),
    onMessage: (cb) => void socket.on('message', (data, rinfo) => cb(data, { address: rinfo.address, port: rinfo.port })),
    close: () => socket.close(),
  };
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`edgesip-fxs: ${err.stack ?? err.message}\n`);
    process.exit(EXIT_FAILURE);
  },
);
