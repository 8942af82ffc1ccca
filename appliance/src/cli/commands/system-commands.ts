import { AppError } from '../../../../core/src/errors.ts'
import { SYSTEM } from '../../../../core/src/policy/actor.ts'
import type { HostSettings } from '../../system/host-settings.ts'
import { canEditHostSettings, readHostSettingsView, setHostSettings } from '../../system/set-host-settings.ts'
import { type Command, type CommandContext, list, withRuntime } from '../command.ts'

const CTL = { ...SYSTEM, label: 'clawbackctl' }
const str = (v: unknown) => (typeof v === 'string' ? v : undefined)

/**
 * `--ipv4 dhcp|static|ADDR/PREFIX`, `--ipv6 auto|off|static|ADDR/PREFIX` with `--gateway4/6 IP|none`;
 * `static` alone or a gateway alone keeps the saved address.
 */
const ipOption = (
  mode: string | undefined,
  gateway: string | undefined,
  previous: { mode: string; address?: string; gateway?: string },
) => {
  if (mode === undefined && gateway === undefined) return previous
  const m = mode ?? previous.mode
  if (m !== 'static' && !m.includes('/')) return { mode: m }
  const address = m.includes('/') ? m : previous.address
  const gw = gateway === 'none' ? undefined : (gateway ?? previous.gateway)
  return { mode: 'static', address, ...(gw ? { gateway: gw } : {}) }
}

/** `off`, or `udp://host:port`, `tcp://host:port`, `tls://host:port` (TCP with TLS). */
const syslogTarget = (spec: string): HostSettings['syslog'] | Record<string, unknown> => {
  if (spec === 'off') return null
  const m = /^(udp|tcp|tls):\/\/(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(spec)
  if (!m)
    throw new AppError('INVALID_REQUEST', 'syslog: expected off, udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT')
  return {
    host: m[2]!.replace(/^\[|\]$/g, ''),
    port: Number(m[3]),
    protocol: m[1] === 'udp' ? 'udp' : 'tcp',
    tls: m[1] === 'tls',
  }
}

/** The saved settings with the command's options applied on top (validated by setHostSettings). */
const merged = (current: HostSettings, ctx: CommandContext) => {
  const o = ctx.options
  const listOf = (name: string, previous: string[]) =>
    o[name] === undefined ? previous : str(o[name]) === 'none' ? [] : list(o[name])
  return {
    hostname: str(o.hostname) ?? current.hostname,
    network: {
      interface: str(o.interface) ?? current.network.interface,
      ipv4: ipOption(str(o.ipv4), str(o.gateway4), current.network.ipv4),
      ipv6: ipOption(str(o.ipv6), str(o.gateway6), current.network.ipv6),
      dns: listOf('dns', current.network.dns),
      searchDomains: listOf('search', current.network.searchDomains),
    },
    ntp: { servers: listOf('ntp', current.ntp.servers) },
    syslog: str(o.syslog) === undefined ? current.syslog : syslogTarget(str(o.syslog)!),
  }
}

/** `system show` and `system set`: the host settings from the VM's console TTY. */
export const systemCommands: Command[] = [
  {
    path: ['system', 'show'],
    usage: 'system show',
    summary: 'show the host name, network, NTP and syslog settings (saved, and as on disk)',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        const v = await readHostSettingsView(rt.db, ctx.config.root)
        ctx.stdout(
          `${JSON.stringify({ editable: canEditHostSettings(ctx.config), saved: v.desired, onDisk: v.applied ?? null }, null, 2)}\n`,
        )
        return 0
      }),
  },
  {
    path: ['system', 'set'],
    usage:
      'system set [--hostname H] [--ipv4 dhcp|A/P --gateway4 IP] [--ipv6 auto|off|A/P --gateway6 IP] [--dns IP,..] [--search D,..] [--ntp S,..] [--syslog off|udp|tcp|tls://HOST:PORT] [--interface GLOB]',
    summary: 'change host settings (appliance only); the privileged helper applies them',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        const current = (await readHostSettingsView(rt.db, ctx.config.root)).desired
        const r = await setHostSettings(rt.db, CTL, ctx.config, merged(current, ctx))
        ctx.stdout(`${JSON.stringify(r.settings)}\n`)
        ctx.stderr(`queued ${r.opId}; the privileged helper applies it (see its status in the console)\n`)
        return 0
      }),
  },
]
