import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const LOW = 20000;
const HIGH = 60999;

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/**
 * A random port on 127.0.0.1 that is free right now for TCP (and UDP too when `udp`),
 * not one of `taken`. qemu binds it a moment later (hostfwd).
 */
export async function freePort(options: { udp?: boolean; taken?: number[] } = {}): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (options.taken?.includes(port)) continue;
    if (!(await tcpFree(port))) continue;
    if (options.udp && !(await udpFree(port))) continue;
    return port;
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH}`);
}
