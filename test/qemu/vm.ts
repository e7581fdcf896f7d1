import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn, type IPty } from 'node-pty';
import { freePort } from './free-port';
import { SerialConsole } from './serial-console';
import type { SshClient } from './ssh';

/** AAVMF (EDK2 for arm64, Debian package qemu-efi-aarch64): code read-only, variables per VM. */
export const AAVMF_CODE = '/usr/share/AAVMF/AAVMF_CODE.fd';
export const AAVMF_VARS = '/usr/share/AAVMF/AAVMF_VARS.fd';

/** Host ports on 127.0.0.1 that qemu forwards to the guest (user networking). */
export interface ForwardedPorts {
  /** → guest tcp 22 */
  ssh: number;
  /** → guest udp and tcp 5060 */
  sip: number;
  /** → guest tcp 8443 (web admin) */
  https: number;
}

export interface VmConfig {
  disk: string;
  /**
   * The guest address the forwarded ports go to; by default the one qemu's DHCP hands
   * out (10.0.2.15). A static address from edgesip.conf is reachable only when set here.
   */
  guestAddress?: string;
  /** This VM's copy of the UEFI variable store (kept across its reboots). */
  vars: string;
  ports: ForwardedPorts;
  name?: string;
  memoryMiB?: number;
  cpus?: number;
}

/**
 * The qemu command line (TCG, the machine and CPU measured fastest: cortex-a57, 2 CPUs).
 * No `restrict=on` on the netdev: it drops UDP replies from the guest. The tests run in
 * a network namespace with only loopback instead, so the guest reaches nothing else.
 */
export function qemuArgs(c: VmConfig): string[] {
  const guest = c.guestAddress ?? '';
  const fwd = [
    `hostfwd=tcp:127.0.0.1:${c.ports.ssh}-${guest}:22`,
    `hostfwd=udp:127.0.0.1:${c.ports.sip}-${guest}:5060`,
    `hostfwd=tcp:127.0.0.1:${c.ports.sip}-${guest}:5060`,
    `hostfwd=tcp:127.0.0.1:${c.ports.https}-${guest}:8443`,
  ];
  return [
    ...(c.name ? ['-name', c.name] : []),
    '-M', 'virt',
    '-cpu', 'cortex-a57',
    '-smp', String(c.cpus ?? 2),
    '-m', String(c.memoryMiB ?? 1024),
    '-display', 'none',
    '-monitor', 'none',
    '-serial', 'stdio',
    '-drive', `if=pflash,format=raw,readonly=on,file=${AAVMF_CODE}`,
    '-drive', `if=pflash,format=raw,file=${c.vars}`,
    '-drive', `if=none,id=d0,file=${c.disk},format=qcow2`,
    '-device', 'virtio-blk-pci,drive=d0',
    '-netdev', ['user', 'id=n0', ...fwd].join(','),
    // romfile=: no iPXE option ROM (package ipxe-qemu); the image boots from disk.
    '-device', 'virtio-net-pci,netdev=n0,romfile=',
    // A watchdog the guest's systemd can arm (RuntimeWatchdogSec): hangs become resets.
    '-device', 'i6300esb',
  ];
}

/** A Raspberry Pi 3 B as qemu models it (`raspi3b`): no network, checked over its console. */
export interface RaspiConfig {
  /** The SD card: a qcow2 disk whose size is a power of two (qemu's SD card model wants one). */
  disk: string;
  /** U-Boot (u-boot.bin from the image's boot partition). */
  uboot: string;
  /** The device tree the Pi firmware would hand to U-Boot (bcm2837-rpi-3-b.dtb from the boot partition). */
  dtb: string;
}

/**
 * The qemu command line of a Raspberry Pi 3 B (4 Cortex-A53, 1 GiB: fixed by the machine).
 * qemu cannot run the Pi's GPU firmware, so it does the firmware's part itself: it loads
 * the `kernel=` of config.txt (U-Boot) at 0x80000 and passes the device tree in x0. From
 * U-Boot on, everything comes from the SD card: boot.scr, the A/B state, the slot.
 * No network: qemu 7.2's USB host controller (dwc2) enumerates devices for U-Boot but
 * not for Linux's dwc2 driver ("Not connected"), so a usb-net NIC never appears.
 */
export function raspi3bArgs(c: RaspiConfig & { name?: string }): string[] {
  return [
    ...(c.name ? ['-name', c.name] : []),
    '-M', 'raspi3b',
    '-kernel', c.uboot,
    '-dtb', c.dtb,
    '-drive', `if=sd,format=qcow2,file=${c.disk}`,
    '-display', 'none',
    '-monitor', 'none',
    // The first UART is the PL011 (Bluetooth on a Pi 3); the console that config.txt
    // (enable_uart) and boot.scr (console=ttyS1) use is the mini UART, the second one.
    '-serial', 'null',
    '-serial', 'stdio',
  ];
}

/** Free random ports for one VM (SIP free for both UDP and TCP). */
export async function forwardedPorts(): Promise<ForwardedPorts> {
  const ssh = await freePort();
  const sip = await freePort({ udp: true, taken: [ssh] });
  const https = await freePort({ taken: [ssh, sip] });
  return { ssh, sip, https };
}

/** What a QemuVm runs: qemu's `virt` board with UEFI and user networking, or a Raspberry Pi 3 B. */
type Machine = { kind: 'virt'; config: VmConfig } | { kind: 'raspi3b'; config: RaspiConfig };

/**
 * One arm64 VM on a qcow2 disk. qemu runs in a pty (node-pty): its stdio serial port is
 * the guest's console, read by `console` (one transcript across all boots of this VM).
 */
export class QemuVm {
  readonly console: SerialConsole;
  /** performance.now() when qemu was last started. */
  startedAt = 0;
  /** How many times qemu was started. */
  boots = 0;
  private pty: IPty | undefined;
  private exited: Promise<{ exitCode: number; signal?: number }> | undefined;

  private constructor(readonly name: string, private readonly machine: Machine, readonly extraArgs: string[]) {
    this.console = new SerialConsole(name);
  }

  /**
   * A `virt` VM named `name` on `disk`, with fresh UEFI variables in `dir` and free ports.
   * `extraArgs` are appended to the command line (e.g. `-bios` tests of the harness).
   */
  static async create(name: string, disk: string, dir: string, extraArgs: string[] = []): Promise<QemuVm> {
    const vars = join(dir, `${name}-AAVMF_VARS.fd`);
    copyFileSync(AAVMF_VARS, vars);
    return new QemuVm(name, { kind: 'virt', config: { disk, vars, ports: await forwardedPorts() } }, extraArgs);
  }

  /** A Raspberry Pi 3 B VM named `name` (see raspi3bArgs). */
  static raspi3b(name: string, config: RaspiConfig): QemuVm {
    return new QemuVm(name, { kind: 'raspi3b', config }, []);
  }

  private get virt(): VmConfig {
    if (this.machine.kind !== 'virt') throw new Error(`${this.name}: a ${this.machine.kind} VM has no network`);
    return this.machine.config;
  }

  get ports(): ForwardedPorts {
    return this.virt.ports;
  }

  /** Where the forwarded ports go from the next boot on (undefined: qemu's DHCP address). */
  set guestAddress(address: string | undefined) {
    this.virt.guestAddress = address;
  }

  private args(): string[] {
    switch (this.machine.kind) {
      case 'virt':
        return qemuArgs({ ...this.machine.config, name: this.name });
      case 'raspi3b':
        return raspi3bArgs({ ...this.machine.config, name: this.name });
    }
  }

  get running(): boolean {
    return this.pty !== undefined;
  }

  /** Starts qemu (again, on the same disk and UEFI variables); the console then expects this boot's output. */
  boot(): void {
    if (this.pty) throw new Error(`${this.name}: qemu is already running (pid ${this.pty.pid})`);
    const args = [...this.args(), ...this.extraArgs];
    this.boots++;
    this.console.skipToEnd();
    this.console.note(`boot ${this.boots}: qemu-system-aarch64 ${args.join(' ')}`);
    const pty = spawn('qemu-system-aarch64', args, { name: 'vt100', cols: 200, rows: 50, cwd: process.cwd(), env: process.env, encoding: 'utf8' });
    this.startedAt = performance.now();
    this.pty = pty;
    // Should the test process end without its teardown (a runner timeout), qemu goes too.
    const killOnExit = (): void => {
      try {
        process.kill(pty.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    process.once('exit', killOnExit);
    pty.onData((d) => this.console.feed(d));
    this.console.attach((d) => pty.write(d));
    this.exited = new Promise((resolve) => {
      pty.onExit((e) => {
        process.removeListener('exit', killOnExit);
        if (this.pty === pty) {
          this.pty = undefined;
          this.console.attach(undefined);
        }
        const how = e.signal ? `signal ${e.signal}` : `exit code ${e.exitCode}`;
        this.console.note(`qemu (boot ${this.boots}) ended: ${how} after ${this.secondsSinceStart().toFixed(1)} s`);
        this.console.abort(`qemu ended (${how})`);
        resolve(e);
      });
    });
  }

  /** Seconds since qemu was last started. */
  secondsSinceStart(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** Resolves true once qemu has exited, false when `timeoutMs` passes first. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (!this.exited || !this.pty) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const done = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }

  /**
   * A clean shutdown: `sudo systemctl poweroff` over SSH, then qemu must exit within
   * `timeoutMs`. Throws (after killing qemu) when it does not.
   */
  async powerOff(ssh: SshClient, timeoutMs = 120_000): Promise<void> {
    if (!this.pty) throw new Error(`${this.name}: not running`);
    this.console.note('power off: sudo systemctl poweroff over SSH');
    // ssh's own exit status does not matter: the guest may close the session before it answers.
    await ssh.run('sudo systemctl poweroff', { timeoutMs: 30_000 });
    if (await this.waitForExit(timeoutMs)) return;
    await this.kill();
    throw new Error(`${this.name}: qemu still running ${(timeoutMs / 1000).toFixed(0)} s after \`systemctl poweroff\` (killed); last console output:\n${this.console.tail()}`);
  }

  /** A hard power cut: SIGKILL to qemu, then wait for it to be gone. */
  async kill(): Promise<void> {
    const pty = this.pty;
    if (!pty) return;
    this.console.note('power cut: SIGKILL to qemu');
    try {
      process.kill(pty.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    if (!(await this.waitForExit(30_000))) throw new Error(`${this.name}: qemu (pid ${pty.pid}) did not end after SIGKILL`);
  }
}
