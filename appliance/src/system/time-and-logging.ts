import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

export type TimeAndLogging = {
  ntp: { source: string; servers: string[] }[]
  syslogForwarding: { source: string; target: string }[]
}

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

const confFiles = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.conf'))
        .sort()
        .map((f) => path.join(dir, f))
    : []

/**
 * The host's time sources and syslog forwarding as configured on disk (systemd-timesyncd, chrony,
 * rsyslog), whoever wrote them. `root` is the file-system root (tests use a temporary one). On the
 * appliance Clawback writes its own drop-ins (system/host-files.ts; read back into the settings
 * model by readHostSettings), which show up here beside any other source; in a checkout these are
 * the host's own files.
 */
export const readTimeAndLogging = (root = '/'): TimeAndLogging => {
  const at = (p: string) => path.join(root, p)
  const ntp: TimeAndLogging['ntp'] = []
  for (const file of [at('etc/systemd/timesyncd.conf'), ...confFiles(at('etc/systemd/timesyncd.conf.d'))]) {
    const servers = [...read(file).matchAll(/^\s*(?:NTP|FallbackNTP)\s*=\s*(.+)$/gm)].flatMap((m) =>
      m[1]!.trim().split(/\s+/),
    )
    if (servers.length) ntp.push({ source: path.relative(root, file), servers })
  }
  for (const file of [
    at('etc/chrony/chrony.conf'),
    ...confFiles(at('etc/chrony/conf.d')),
    ...confFiles(at('etc/chrony/sources.d')),
  ]) {
    const servers = [...read(file).matchAll(/^\s*(?:server|pool)\s+(\S+)/gm)].map((m) => m[1]!)
    if (servers.length) ntp.push({ source: path.relative(root, file), servers })
  }
  const syslogForwarding: TimeAndLogging['syslogForwarding'] = []
  for (const file of [at('etc/rsyslog.conf'), ...confFiles(at('etc/rsyslog.d'))]) {
    const text = read(file)
    for (const m of text.matchAll(/^\s*[^#\s]+\s+(@@?\(?[^\s;]*\)?[^\s;]+)/gm))
      syslogForwarding.push({ source: path.relative(root, file), target: m[1]! })
    for (const m of text.matchAll(/action\s*\(\s*type\s*=\s*"omfwd"([^)]*)\)/g)) {
      const target = /target\s*=\s*"([^"]+)"/.exec(m[1]!)?.[1]
      const port = /port\s*=\s*"([^"]+)"/.exec(m[1]!)?.[1]
      const protocol = /protocol\s*=\s*"([^"]+)"/i.exec(m[1]!)?.[1]
      const isTls = /StreamDriver\s*=\s*"gtls"/i.test(m[1]!)
      if (target)
        syslogForwarding.push({
          source: path.relative(root, file),
          target: `${protocol ?? 'udp'}${isTls ? '+tls' : ''}://${target}${port ? `:${port}` : ''}`,
        })
    }
  }
  return { ntp, syslogForwarding }
}
