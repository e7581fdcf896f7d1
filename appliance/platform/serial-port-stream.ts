/**
 * A serial port as the FXS board link's ByteStream: opened raw at `baudRate`; close and
 * error (the USB adapter unplugged) are reported once. Rejects while the device is
 * missing, so the caller (BoardConnection) retries.
 */
import { SerialPort } from 'serialport';

/** The byte stream the FXS board link reads and writes (fxs/serial/board-link.ts ByteStream). */
export interface SerialStream {
  write(data: Buffer): void;
  onData(cb: (data: Buffer) => void): void;
  onClose(cb: (err?: Error) => void): void;
  close(): void;
}

export function openSerialStream(path: string, baudRate: number): Promise<SerialStream> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => {
      if (err) {
        reject(err);
        return;
      }
      const closeListeners: Array<(e?: Error) => void> = [];
      let closed = false;
      const closedOnce = (e?: Error) => {
        if (closed) return;
        closed = true;
        for (const cb of closeListeners) cb(e);
      };
      port.on('close', () => closedOnce());
      port.on('error', (e: Error) => closedOnce(e));
      resolve({
        write: (data) => void port.write(data),
        onData: (cb) => void port.on('data', cb),
        onClose: (cb) => void closeListeners.push(cb),
        close: () => {
          if (port.isOpen) port.close();
        },
      });
    });
  });
}
