import { describe, expect, it } from 'vitest'
import { egressRefusal } from './egress.ts'

const cloud = { isOnPremises: false }
const onPrem = { isOnPremises: true }

describe('egress policy', () => {
  it.each([
    ['127.0.0.1'],
    ['127.9.9.9'],
    ['::1'],
    ['10.0.0.5'],
    ['172.16.0.1'],
    ['172.31.255.255'],
    ['192.168.1.1'],
    ['169.254.10.10'],
    ['100.64.0.1'],
    ['0.0.0.0'],
    ['::'],
    ['fd12:3456::1'],
    ['fe80::1'],
    ['::ffff:10.0.0.1'],
    ['::ffff:127.0.0.1'],
  ])('refuses the internal address %s unless the connector is on-premises', (ip) => {
    expect(egressRefusal(ip, cloud)).toMatch(/on-premises/)
    expect(egressRefusal(ip, onPrem)).toBeUndefined()
  })

  it.each([
    ['169.254.169.254'],
    ['::ffff:169.254.169.254'],
    ['fd00:ec2::254'],
    ['100.100.100.200'],
  ])('refuses the cloud metadata address %s even on-premises', (ip) => {
    expect(egressRefusal(ip, cloud)).toMatch(/metadata/)
    expect(egressRefusal(ip, onPrem)).toMatch(/metadata/)
  })

  it.each([['224.0.0.1'], ['255.255.255.255'], ['ff02::1']])('never reaches multicast/reserved %s', (ip) => {
    expect(egressRefusal(ip, onPrem)).toMatch(/multicast or reserved/)
  })

  it.each([['8.8.8.8'], ['172.32.0.1'], ['2606:4700::1111'], ['100.128.0.1']])('allows the public address %s', (ip) => {
    expect(egressRefusal(ip, cloud)).toBeUndefined()
  })

  it('refuses what is not an IP address (names are resolved first)', () => {
    expect(egressRefusal('example.com', onPrem)).toMatch(/not an IP/)
  })
})
