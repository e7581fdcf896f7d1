import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { localAddressFor } from './local-address';

function v4(address: string, prefix: number, internal = false): NetworkInterfaceInfo {
  return { family: 'IPv4', address, netmask: '', mac: '00:00:00:00:00:00', internal, cidr: `${address}/${prefix}` } as NetworkInterfaceInfo;
}

function v6(address: string, prefix: number, internal = false): NetworkInterfaceInfo {
  return { family: 'IPv6', address, netmask: '', mac: '00:00:00:00:00:00', internal, cidr: `${address}/${prefix}`, scopeid: 0 } as NetworkInterfaceInfo;
}

/** A board with loopback, a WAN port (first), two LANs and IPv6 on each. */
const TABLE: NodeJS.Dict<NetworkInterfaceInfo[]> = {
  lo: [v4('127.0.0.1', 8, true), v6('::1', 128, true)],
  wan0: [v4('203.0.113.5', 24), v6('fe80::1', 64), v6('2001:db8:1::5', 64)],
  lan0: [v4('192.168.1.1', 24), v6('fe80::2', 64), v6('2001:db8:2::1', 64)],
  lan1: [v4('10.20.0.1', 16)],
  empty: undefined,
};

describe('localAddressFor', () => {
  it('answers loopback peers with loopback', () => {
    assert.equal(localAddressFor('127.0.0.1', TABLE), '127.0.0.1');
    assert.equal(localAddressFor('127.1.2.3', TABLE), '127.0.0.1');
    assert.equal(localAddressFor('::1', TABLE), '::1');
  });

  it('picks the interface on the peer subnet', () => {
    assert.equal(localAddressFor('192.168.1.77', TABLE), '192.168.1.1');
    assert.equal(localAddressFor('10.20.255.254', TABLE), '10.20.0.1');
    assert.equal(localAddressFor('203.0.113.200', TABLE), '203.0.113.5');
  });

  it('respects the prefix length exactly', () => {
    // 192.168.2.x is outside 192.168.1.0/24; 10.21.x is outside 10.20.0.0/16.
    assert.equal(localAddressFor('192.168.2.7', TABLE), '203.0.113.5');
    assert.equal(localAddressFor('10.21.0.1', TABLE), '203.0.113.5');
  });

  it('otherwise takes the first external interface of the family', () => {
    assert.equal(localAddressFor('198.51.100.9', TABLE), '203.0.113.5');
  });

  it('never answers a remote peer from an internal interface', () => {
    const table = { lo: [v4('127.0.0.1', 8, true)], eth0: [v4('192.0.2.10', 24)] };
    assert.equal(localAddressFor('198.51.100.9', table), '192.0.2.10');
  });

  it('falls back to loopback when there is no external interface', () => {
    const table = { lo: [v4('127.0.0.1', 8, true), v6('::1', 128, true)] };
    assert.equal(localAddressFor('198.51.100.9', table), '127.0.0.1');
    assert.equal(localAddressFor('2001:db8:9::1', table), '::1');
    assert.equal(localAddressFor('198.51.100.9', {}), '127.0.0.1');
  });

  it('IPv6: on-link subnet, else the first global address (never link-local)', () => {
    assert.equal(localAddressFor('2001:db8:2::abcd', TABLE), '2001:db8:2::1');
    assert.equal(localAddressFor('2001:db8:1:0:ffff::1', TABLE), '2001:db8:1::5');
    assert.equal(localAddressFor('2001:db8:99::1', TABLE), '2001:db8:1::5', 'fe80::1 comes first but is link-local');
  });

  it('IPv6: a link-local peer gets the link-local address of the first link that has one', () => {
    assert.equal(localAddressFor('fe80::99', TABLE), 'fe80::1');
  });

  it('IPv6 with only link-local addresses falls back to ::1', () => {
    const table = { eth0: [v4('192.0.2.10', 24), v6('fe80::10', 64)] };
    assert.equal(localAddressFor('2001:db8::1', table), '::1');
  });

  it('an IPv4 peer never gets an IPv6 address and the other way round', () => {
    const onlyV6 = { eth0: [v6('2001:db8::10', 64)] };
    assert.equal(localAddressFor('192.0.2.50', onlyV6), '127.0.0.1');
    const onlyV4 = { eth0: [v4('192.0.2.10', 24)] };
    assert.equal(localAddressFor('2001:db8::50', onlyV4), '::1');
  });

  it('ignores interfaces without a usable cidr for the subnet test', () => {
    const table = { eth0: [{ ...v4('192.0.2.10', 24), cidr: null } as NetworkInterfaceInfo], eth1: [v4('198.51.100.1', 24)] };
    // eth0 cannot be matched by subnet; the first external (eth0) is still the fallback.
    assert.equal(localAddressFor('198.51.100.20', table), '198.51.100.1');
    assert.equal(localAddressFor('203.0.113.1', table), '192.0.2.10');
  });

  it('uses the real table by default', () => {
    assert.equal(localAddressFor('127.0.0.1'), '127.0.0.1');
  });
});
