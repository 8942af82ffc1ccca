import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { createConnection, type Socket } from 'node:net'
import path from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { parseArgs } from '../appliance/src/cli/command.ts'

/**
 * The appliance boot test (`npm run test:appliance`, as root, after `npm run build:ova`):
 * boots the locally built disk image under qemu (TCG: no KVM here) on a qcow2 overlay (the image
 * stays clean) with a fresh copy of the OVMF variables, user networking with `restrict=on` and
 * only loopback port forwards, the first-boot properties passed as an OVF environment document
 * through fw_cfg (the guest's documented fallback for VMware's guestinfo.ovfEnv); then waits for
 * first boot, signs in as admin (changing the one-time password), creates a source, posts an alert
 * and finds its incident over the API. Then, through the guest agent on the second serial port
 * (appliance/image/test-agent.sh, enabled only by this test's fw_cfg file): the VM's idle memory
 * and every service's RSS, `systemd-analyze verify|security` of every unit, a backup with
 * clawbackctl, host settings (host name, the slirp address as a static one, NTP, TLS syslog
 * forwarding) applied by the root helper under real systemd and read back with hostnamectl,
 * networkctl, timedatectl and `rsyslogd -N1`. Then, on the management console: a tampered IMG is
 * refused, a signed IMG of the next version (built here with `npm run build:img`'s script and the
 * key the image trusts) is applied by the root helper and the incident survives, and a broken IMG
 * (no runtime: its roles cannot start) rolls back. Prints the figures and `N passed, N failed`.
 *   node packer/boot-test.ts [--out var/appliance] [--version V] [--key PEM] [--memory-mib 3072] [--keep]
 *     [--journal-to-serial] [--first-boot-only] [--recovery] [--resume] [--api-port 18843] [--console-port 18844]
 * `--first-boot-only` stops after the incident check (the CI subset: packer/ci-boot-test.sh).
 * `--recovery` is the other deployment (recoveryScenario below): no OVF properties (DHCP, a
 * one-time password on the VM console), first boot cut off half-way by killing qemu and finished by
 * the next boot, and the tty1 console's menu driven as an operator does, without SSH.
 */
const repo = path.resolve(import.meta.dirname, '..')
const { options } = parseArgs(process.argv.slice(2))
const out = path.resolve(typeof options.out === 'string' ? options.out : path.join(repo, 'var/appliance'))
const version =
  typeof options.version === 'string'
    ? options.version
    : JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version
const memoryMib = Number(typeof options['memory-mib'] === 'string' ? options['memory-mib'] : 3072)
const raw = path.join(out, `clawback-${version}.raw`)
// the host's loopback ports forwarded to the guest's 443 and 8443 (--api-port/--console-port:
// several sessions on one host each have their own range)
const API_PORT = Number(typeof options['api-port'] === 'string' ? options['api-port'] : 18843)
const CONSOLE_PORT = Number(typeof options['console-port'] === 'string' ? options['console-port'] : 18844)
const firstBootOnly = options['first-boot-only'] === true
const recovery = options.recovery === true
const signingKey = path.resolve(typeof options.key === 'string' ? options.key : path.join(out, 'keys/img-signing.pem'))
const nextVersion = version.replace(/\d+$/, (n: string) => String(Number(n) + 1))
const brokenVersion = nextVersion.replace(/\d+$/, (n: string) => String(Number(n) + 1))
// first boot took 1262 s of guest time on a host at load 13–20 (2026-12-06): 1500 s was too short there
const READY_TIMEOUT_S = Number(process.env.CLAWBACK_BOOT_TIMEOUT_S ?? 2700)
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0' // the appliance's own self-signed certificate

const results: { name: string; ok: boolean; detail?: string }[] = []
const figures: Record<string, string> = {}
const t0 = Date.now()
const secs = (from = t0) => ((Date.now() - from) / 1000).toFixed(1)
const log = (s: string) => process.stdout.write(`[${secs()}s] ${s}\n`)
const check = async (name: string, fn: () => Promise<unknown>) => {
  try {
    const detail = (await fn()) as string | undefined
    results.push({ name, ok: true, detail })
    log(`ok   ${name}${detail ? `: ${detail}` : ''}`)
    return true
  } catch (err) {
    results.push({ name, ok: false, detail: (err as Error).message })
    log(`FAIL ${name}: ${(err as Error).message}`)
    return false
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

if (!existsSync(raw)) {
  process.stderr.write(`no ${raw}: run npm run build:ova first\n`)
  process.exit(2)
}
const work = path.join(out, recovery ? 'boot-test-recovery' : 'boot-test')
// --resume: boot the overlay a failed run kept (first boot done or half-way) with its OVMF
// variables and first-boot properties, instead of a fresh one (debugging a slow host)
const resume = options.resume === true && !recovery && existsSync(path.join(work, 'overlay.qcow2'))
if (!resume) {
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
}
for (const f of ['agent.sock', 'tty.sock', 'broken-stage']) rmSync(path.join(work, f), { recursive: true, force: true })
const overlay = path.join(work, 'overlay.qcow2')
if (!resume) execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', raw, overlay])
const vars = path.join(work, 'OVMF_VARS.fd')
if (!resume) copyFileSync('/usr/share/OVMF/OVMF_VARS_4M.fd', vars)
const adminPassword = resume
  ? /oe:key="admin_password" oe:value="([^"]+)"/.exec(readFileSync(path.join(work, 'ovf-env.xml'), 'utf8'))![1]!
  : `Boot-${randomBytes(9).toString('base64url')}`
const props: Record<string, string> = { hostname: 'cb-boot-test', admin_password: adminPassword }
const ovfEnv = path.join(work, 'ovf-env.xml')
// --recovery deploys without properties: no fw_cfg file at all, as an OVA imported without them
if (!recovery)
  writeFileSync(
    ovfEnv,
    `<?xml version="1.0" encoding="UTF-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:oe="http://schemas.dmtf.org/ovf/environment/1">
  <PropertySection>
${Object.entries(props)
  .map(([k, v]) => `    <Property oe:key="${k}" oe:value="${v}"/>`)
  .join('\n')}
  </PropertySection>
</Environment>
`,
  )
// one serial log per boot (--recovery boots twice)
let serial = path.join(work, 'serial.log')
const qemuArgs = [
  '-name',
  'clawback-boot-test',
  '-machine',
  'q35,accel=tcg',
  // a named model rather than `max`: node segfaulted once under TCG with -cpu max
  '-cpu',
  'Nehalem',
  '-smp',
  '2',
  '-m',
  String(memoryMib),
  '-drive',
  'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
  '-drive',
  `if=pflash,format=raw,unit=1,file=${vars}`,
  '-drive',
  `file=${overlay},format=qcow2,if=none,id=disk0`,
  '-device',
  'virtio-blk-pci,drive=disk0,bootindex=0',
  // no route anywhere but the two forwarded loopback ports
  '-nic',
  `user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:${API_PORT}-:443,hostfwd=tcp:127.0.0.1:${CONSOLE_PORT}-:8443`,
  ...(recovery ? [] : ['-fw_cfg', `name=opt/clawback/ovfenv,file=${ovfEnv}`]),
  // ttyS0: the kernel's console (first boot's progress), a file per boot (the SERIAL_LOG marker)
  '-serial',
  'SERIAL_LOG',
  // ttyS1: the guest agent's channel (a Unix socket here), enabled by the fw_cfg file below
  '-serial',
  `unix:${path.join(work, 'agent.sock')},server=on,wait=off`,
  // ttyS2 (--recovery): the tty1 console's menu, started there by the agent's tty-serial verb
  '-serial',
  `unix:${path.join(work, 'tty.sock')},server=on,wait=off`,
  '-fw_cfg',
  `name=opt/clawback/test-agent,string=1`,
  '-display',
  'none',
  '-monitor',
  'none',
]
if (options['journal-to-serial']) {
  // debugging: boot the build's kernel directly (bypassing the ESP's loader entry) with the
  // journal forwarded to the serial console, so serial.log shows every unit's output
  const boot = path.join(out, 'rootfs', 'boot')
  const entry = readFileSync(path.join(out, 'clawback.conf'), 'utf8')
  const root = /root=(\S+)/.exec(entry)![1]!
  const pick = (prefix: string) =>
    path.join(
      boot,
      readdirSync(boot)
        .filter((f) => f.startsWith(prefix))
        .sort()
        .at(-1)!,
    )
  qemuArgs[qemuArgs.indexOf('virtio-blk-pci,drive=disk0,bootindex=0')] = 'virtio-blk-pci,drive=disk0'
  qemuArgs.push(
    '-kernel',
    pick('vmlinuz-'),
    '-initrd',
    pick('initrd.img-'),
    '-append',
    `root=${root} ro panic=10 console=tty0 console=ttyS0,115200 systemd.journald.forward_to_console=1`,
  )
}
/** The upgrade images, built while the VM boots: the next version, a tampered copy, a broken one. */
const nextImg = path.join(work, `clawback-${nextVersion}.img`)
const tamperedImg = path.join(work, `clawback-${nextVersion}-tampered.img`)
const brokenImg = path.join(work, `clawback-${brokenVersion}-broken.img`)
const buildImg = (args: string[]) =>
  new Promise<void>((resolve, reject) => {
    const p = spawn('nice', ['-n', '5', process.execPath, path.join(repo, 'appliance/bin/build-img.ts'), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let err = ''
    p.stderr!.on('data', (d) => {
      err += d
    })
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build:img ${args.join(' ')}: ${err}`))))
  })
const imagesBuilt =
  firstBootOnly || recovery
    ? Promise.resolve()
    : (async () => {
        const t = Date.now()
        const stage = path.join(out, 'stage')
        if (!existsSync(stage) || !existsSync(signingKey))
          throw new Error(`no ${stage} or ${signingKey}: build the OVA with --keygen first`)
        await buildImg(['--from', stage, '--key', signingKey, '--version', nextVersion, '--out', nextImg])
        // tampered: one byte of the payload changed after signing (the manifest's checksum no longer matches)
        copyFileSync(nextImg, tamperedImg)
        const fd = openSync(tamperedImg, 'r+')
        const at = statSync(tamperedImg).size - 4096
        const b = Buffer.alloc(1)
        readSync(fd, b, 0, 1, at)
        b[0] = b[0]! ^ 0xff
        writeSync(fd, b, 0, 1, at)
        closeSync(fd)
        // broken but correctly signed: no node_modules and no runtime, so the roles cannot start
        const broken = path.join(work, 'broken-stage')
        mkdirSync(broken)
        for (const e of readdirSync(stage))
          if (e !== 'node_modules' && e !== 'bin') execFileSync('cp', ['-a', path.join(stage, e), broken])
        await buildImg([
          '--from',
          broken,
          '--key',
          signingKey,
          '--version',
          brokenVersion,
          '--no-node-modules',
          '--out',
          brokenImg,
        ])
        rmSync(broken, { recursive: true, force: true })
        figures['upgrade IMGs built (s)'] = ((Date.now() - t) / 1000).toFixed(1)
        figures[`clawback-${nextVersion}.img (MiB)`] = String(Math.round(statSync(nextImg).size / 2 ** 20))
        figures[`clawback-${brokenVersion}-broken.img (MiB)`] = String(Math.round(statSync(brokenImg).size / 2 ** 20))
      })()
imagesBuilt.catch(() => {}) // awaited (and reported) at the upgrade step

let qemu: ChildProcess
let qemuExited = false
/** Boots the overlay (again), its serial console into `serialLog`. */
const startQemu = (serialLog: string) => {
  serial = serialLog
  log(`booting ${path.basename(raw)} (qemu TCG, ${memoryMib} MiB, restrict=on, ports ${API_PORT}/${CONSOLE_PORT})`)
  const args = qemuArgs.map((a) => (a === 'SERIAL_LOG' ? `file:${serialLog}` : a))
  const child = spawn('nice', ['-n', '10', 'qemu-system-x86_64', ...args], { stdio: ['ignore', 'inherit', 'inherit'] })
  qemu = child
  qemuExited = false
  child.on('exit', () => {
    if (qemu === child) qemuExited = true
  })
}
startQemu(serial)
const stop = () => {
  if (!qemuExited) qemu.kill('SIGTERM')
}
process.on('SIGINT', () => {
  stop()
  process.exit(130)
})

/** A tiny cookie jar per port (the API and the console are separate sign-ins) + fetch against the forwarded ports. */
const jars = new Map<number, Map<string, string>>()
const http = async (port: number, p: string, init: RequestInit = {}) => {
  const jar = jars.get(port) ?? new Map<string, string>()
  jars.set(port, jar)
  const headers = new Headers(init.headers)
  if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
  const res = await fetch(`https://127.0.0.1:${port}${p}`, {
    ...init,
    headers,
    redirect: 'manual',
    // an IMG upload into the guest moves ~1.3 MiB/s under TCG: 370 MiB takes ~5 minutes
    signal: AbortSignal.timeout(init.body ? 1_800_000 : 300_000),
  })
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';')
    const i = pair!.indexOf('=')
    const name = pair!.slice(0, i)
    const value = pair!.slice(i + 1)
    if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || value === '') jar.delete(name)
    else jar.set(name, value)
  }
  return res
}
const csrfOf = (page: string) => {
  const m = /name="_csrf" value="([^"]+)"/.exec(page)
  if (!m) throw new Error('no CSRF token on the page')
  return m[1]!
}
const form = (o: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
})

/**
 * The guest agent on ttyS1 (appliance/image/test-agent.sh): `<id> <verb> [args]` per line, the
 * answer framed by `@@BEGIN <id>` and `@@END <id> <status>`.
 */
let agentOut = ''
let agentSock: Socket | undefined
let agentSeq = 0
/** Connects to one of qemu's serial ports (a Unix socket in the work dir), text to `onData`. */
const connectSerial = async (name: string, onData: (d: string) => void) => {
  const sock = path.join(work, name)
  for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(100)
  const conn = createConnection(sock)
  conn.setEncoding('utf8')
  conn.on('data', onData)
  conn.on('error', () => {})
  return conn
}
const agentConnect = async () => {
  agentSock = await connectSerial('agent.sock', (d) => {
    agentOut += d
  })
}
const agent = async (request: string, timeoutS = 900) => {
  const id = `r${++agentSeq}`
  agentSock!.write(`${id} ${request}\n`)
  const re = new RegExp(`@@BEGIN ${id}\\r?\\n([\\s\\S]*?)@@END ${id} (\\d+)`)
  const deadline = Date.now() + timeoutS * 1000
  while (Date.now() < deadline) {
    const m = re.exec(agentOut)
    if (m) return { out: m[1]!, status: Number(m[2]) }
    if (qemuExited) throw new Error('qemu exited')
    await sleep(500)
  }
  throw new Error(`the guest agent did not answer "${request}" within ${timeoutS} s`)
}
const agentOk = async (request: string, timeoutS?: number) => {
  const r = await agent(request, timeoutS)
  if (r.status !== 0) throw new Error(`"${request}" exited ${r.status}: ${r.out.slice(-800)}`)
  return r.out
}
const readyz = () =>
  fetch(`https://127.0.0.1:${API_PORT}/readyz`, { signal: AbortSignal.timeout(10_000) })
    .then((r) => r.status === 200)
    .catch(() => false)

/** Pulls the plug: qemu killed (SIGKILL, no shutdown in the guest), resolved once it is gone. */
const powerOff = async () => {
  if (qemuExited) return
  const exited = new Promise((r) => qemu.once('exit', r))
  qemu.kill('SIGKILL')
  await exited
}
/** Boots the same disk again after `powerOff`, its serial console into `serialLog`; the agent reconnects. */
const bootAgain = async (serialLog: string) => {
  for (const f of ['agent.sock', 'tty.sock']) rmSync(path.join(work, f), { force: true })
  startQemu(serialLog)
  agentSock?.destroy()
  await agentConnect()
}
/**
 * Under qemu TCG the guest kernel itself has panicked while booting (CI, stop 26: "Fatal
 * exception in interrupt" on a patched NOP in crng_make_state, 24 s in, before any of our
 * units ran), and the panicked guest then sits still: an emulation fault, not the appliance's.
 * When the serial console shows one, the same disk is booted again (at most twice in a run),
 * as an operator would power-cycle it; every panic is printed in the figures.
 */
const PANIC = /Kernel panic - not syncing[^\r\n]*/
const panics: string[] = []
const rebootAfterPanic = async () => {
  const said = existsSync(serial) ? readFileSync(serial, 'utf8') : ''
  const panic = PANIC.exec(said)
  if (!panic || panics.length >= 2) return false
  panics.push(`${path.basename(serial)}, ${secs()} s into the run: ${panic[0].trim()}`)
  figures['guest kernel panics under TCG, disk booted again'] = panics.join('; ')
  log(`the guest kernel panicked (${panic[0].trim()}): booting the same disk again`)
  await powerOff()
  await bootAgain(path.join(work, `serial-after-panic-${panics.length}.log`))
  return true
}
/** Waits for /readyz; a guest kernel panic on the way boots the disk again (and restarts the wait). */
const waitReady = async (what: string, seconds: number) => {
  let deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (await rebootAfterPanic()) deadline = Date.now() + seconds * 1000
    if (qemuExited) throw new Error('qemu exited')
    if (await readyz()) return
    await sleep(3000)
  }
  throw new Error(`${what}: not within ${seconds} s (see ${serial})`)
}
const waitFor = async (what: string, seconds: number, fn: () => Promise<boolean>) => {
  const deadline = Date.now() + seconds * 1000
  let lastError = ''
  while (Date.now() < deadline) {
    if (qemuExited) throw new Error('qemu exited')
    const ok = await fn().catch((err: Error) => {
      lastError = err.message
      return false
    })
    if (ok) return
    await sleep(5000)
  }
  // the last error a poll threw says why (a wrong field read looked like a slow guest)
  throw new Error(`${what}: not within ${seconds} s${lastError ? ` (last poll: ${lastError})` : ''}`)
}

/** Waits until the root helper has applied operation `opId` (its journal says so); its journal. */
const helperFinished = async (opId: string) => {
  let journal = ''
  await waitFor(`the root helper finishing ${opId}`, 900, async () => {
    journal = stripVTControlCharacters(await agentOk('journal clawback-privileged', 300))
    return new RegExp(`${opId}\\.json: (done|failed)`).test(journal)
  })
  if (!new RegExp(`${opId}\\.json: done`).test(journal))
    throw new Error(`the root helper failed ${opId}:\n${journal.slice(-1500)}`)
  return journal
}

/** Signs in as admin on the API port with a password that must be changed, and changes it. */
const signInChangingPassword = async (password: string, newPassword: string) => {
  jars.delete(API_PORT)
  const loginPage = await (await http(API_PORT, '/login')).text()
  const res = await http(API_PORT, '/login', form({ _csrf: csrfOf(loginPage), username: 'admin', password, next: '/' }))
  if (res.status !== 303) throw new Error(`POST /login answered ${res.status}`)
  if (res.headers.get('location') !== '/account/password')
    throw new Error(`expected the forced password change, got ${res.headers.get('location')}`)
  const pwPage = await (await http(API_PORT, '/account/password')).text()
  const changed = await http(
    API_PORT,
    '/account/password',
    form({ _csrf: csrfOf(pwPage), current: password, password: newPassword, confirm: newPassword }),
  )
  if (changed.status >= 400) throw new Error(`password change answered ${changed.status}`)
}

/** Everything after first boot: memory, units, backup, host settings, upgrades (not in --first-boot-only). */
const afterFirstBoot = async (apiKey: string, subject: string, password: string) => {
  const api = (p: string) =>
    fetch(`https://127.0.0.1:${API_PORT}${p}`, {
      headers: { authorization: `Bearer ${apiKey}` },
      signal: AbortSignal.timeout(120_000),
    })
  const incidentSurvives = async () => {
    const r = await api(`/api/v1/incidents?q=${encodeURIComponent(subject)}`)
    if (r.status !== 200) throw new Error(`incident search answered ${r.status}`)
    const { items } = (await r.json()) as { items: { id: number }[] }
    if (items.length !== 1) throw new Error(`expected the boot test's incident, found ${items.length}`)
    return `incident ${items[0]!.id} still there`
  }
  const runningVersion = async () => /releases\/(\S+)/.exec(await agentOk('version', 300))?.[1]

  await check('the guest agent answers on the second serial port', async () => {
    const v = await runningVersion()
    if (v !== version) throw new Error(`current release is ${v}, expected ${version}`)
    return `current -> releases/${v}`
  })
  // idle: let the roles settle, then read the VM's memory as the host sees it and as the guest does
  await sleep(30_000)
  await check('idle memory: the whole VM (qemu RSS, guest free) and every service ≤ 1 GiB RSS', async () => {
    const rss = readFileSync(`/proc/${qemu.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)
    // the nice wrapper execs qemu, so the pid is qemu's
    figures['qemu RSS idle (MiB)'] = rss ? String(Math.round(Number(rss[1]) / 1024)) : 'n/a'
    const out = await agentOk('memory', 300)
    const mem = /^Mem:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(out)
    if (mem) figures['guest memory idle (MiB): total used free shared cache available'] = mem.slice(1).join(' ')
    const over: string[] = []
    const per: string[] = []
    for (const m of out.matchAll(/^service (\S+) memory_current=(\S*) rss_kib=(\d+)/gm)) {
      const mib = Math.round(Number(m[3]) / 1024)
      if (mib > 0) per.push(`${m[1]} ${mib}`)
      if (mib > 1024) over.push(`${m[1]} ${mib} MiB`)
    }
    figures['service RSS idle (MiB)'] = per.join(', ')
    if (!per.some((p) => p.startsWith('clawback-api '))) throw new Error(`no RSS for clawback-api:\n${out}`)
    if (over.length) throw new Error(`over 1 GiB: ${over.join(', ')}`)
    return `qemu ${figures['qemu RSS idle (MiB)']} MiB; ${per.join(', ')}`
  })
  await check('systemd-analyze verify passes for every Clawback unit; security exposure reported', async () => {
    const out = await agentOk('units', 900)
    const failed = [...out.matchAll(/^verify (\S+) exit (\d+) (.*)$/gm)].filter((m) => m[2] !== '0')
    const scores = [...out.matchAll(/^security (\S+) .*exposure level for \S+: ([\d.]+) (\S+)/gm)].map(
      (m) => `${m[1]} ${m[2]} ${m[3]}`,
    )
    figures['systemd-analyze security (exposure)'] = scores.join(', ')
    if (scores.length < 5) throw new Error(`missing security scores:\n${out}`)
    if (failed.length) throw new Error(failed.map((m) => `${m[1]}: ${m[3]}`).join('; '))
    return scores.join(', ')
  })
  await check('a backup taken with clawbackctl (as on the tty1 menu) is listed', async () => {
    const made = await agentOk('ctl backup create', 900)
    const list = await agentOk('ctl backup list', 300)
    const name = /clawback-\S+\.cbk/.exec(made)?.[0] ?? /clawback-\S+\.cbk/.exec(list)?.[0]
    if (!name || !list.includes(name)) throw new Error(`no backup listed:\n${made}\n${list}`)
    return name
  })

  const host = {
    hostname: 'cb-renamed',
    address: '10.0.2.15/24',
    gateway: '10.0.2.2',
    ntp: ['ntp1.example.test', 'ntp2.example.test'],
    syslog: 'siem.example.test:6514',
  }
  await check(
    'host settings set with clawbackctl are applied by the root helper and read back in the guest',
    async () => {
      const queued = await agentOk(
        `ctl system set --hostname ${host.hostname} --ipv4 ${host.address} --gateway4 ${host.gateway} --dns 10.0.2.3 --ntp ${host.ntp.join(',')} --syslog tls://${host.syslog}`,
        600,
      )
      const opId = /queued (system-[\w-]+)/.exec(queued)?.[1]
      if (!opId) throw new Error(`clawbackctl system set queued no operation:\n${queued}`)
      // The helper applies in order host name, timesyncd, rsyslog, then networkd (restarted last:
      // it drops connections for a moment). Read back only once the operation has finished —
      // reading when the host name changed raced the network step (under TCG minutes later).
      const journal = await helperFinished(opId)
      const expectations = (out: string) => {
        const problems: string[] = []
        if (!new RegExp(`## hostnamectl\\n${host.hostname}\\n`).test(out))
          problems.push('hostnamectl shows another name')
        if (!new RegExp(`^Address=${host.address}$`, 'm').test(out))
          problems.push('10-clawback.network has no static Address')
        // static: no "dynamic" (a DHCP lease) on the address line
        if (!new RegExp(`inet ${host.address.replace(/\./g, '\\.')}(?![^\\n]*dynamic)`).test(out))
          problems.push('ip shows no static 10.0.2.15/24')
        if (!/default via 10\.0\.2\.2/.test(out)) problems.push('no default route via 10.0.2.2')
        if (!new RegExp(`SystemNTPServers=${host.ntp.join(' ')}`).test(out))
          problems.push('timedatectl shows other NTP servers')
        if (!out.includes('StreamDriver.CAFile')) problems.push('the forwarding rule has no StreamDriver.CAFile')
        if (!out.includes(host.syslog.split(':')[0]!)) problems.push('the forwarding rule names another host')
        if (!/rsyslogd -N1 exit 0/.test(out)) problems.push('rsyslogd -N1 failed')
        return problems
      }
      // networkd configures the link asynchronously after its restart: poll, bounded
      let out = ''
      let problems: string[] = []
      await waitFor('the host settings read back', 300, async () => {
        // the agent's commands write to a serial tty: iproute2 and systemd colour their output there
        out = stripVTControlCharacters(await agentOk('host-settings', 300))
        problems = expectations(out)
        return problems.length === 0
      }).catch(() => {})
      if (problems.length)
        throw new Error(`${problems.join('; ')}\n${out}\n## clawback-privileged\n${journal.slice(-1500)}`)
      await waitFor('the API over the forwarded port after networkd restarted', 300, readyz)
      return 'hostnamectl, networkctl/ip, timedatectl show-timesync, rsyslogd -N1 (exit 0, StreamDriver.CAFile)'
    },
  )

  // the management console: sign in (its own session), upload IMGs, apply
  const consoleCsrf = async (p = '/upgrade') => csrfOf(await (await http(CONSOLE_PORT, p)).text())
  const upload = async (file: string) => {
    const res = await http(CONSOLE_PORT, '/upgrade/upload', {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'x-csrf-token': await consoleCsrf(),
        'x-file-name': encodeURIComponent(path.basename(file)),
      },
      body: readFileSync(file),
    })
    // accepted: 303 to the staged image's page; refused: 422 with the page saying why
    if (res.status === 422) return { status: res.status, id: '', page: await res.text() }
    const to = res.headers.get('location') ?? res.headers.get('hx-redirect') ?? ''
    const staged = /staged=(img-\d+)/.exec(to)?.[1]
    if (res.status !== 303 || !staged)
      throw new Error(`upload answered ${res.status} ${to}: ${(await res.text()).slice(0, 300)}`)
    return {
      status: res.status,
      id: staged,
      page: await (await http(CONSOLE_PORT, `/upgrade?staged=${staged}`)).text(),
    }
  }
  const applyStaged = async (id: string, seconds: number) => {
    const csrf = await consoleCsrf()
    const res = await http(CONSOLE_PORT, `/upgrade/${id}/apply`, {
      ...form({ _csrf: csrf }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf, 'hx-request': 'true' },
    })
    const opId = /id="op-([a-z0-9-]+)"/.exec(await res.text())?.[1]
    if (!opId) throw new Error(`apply answered ${res.status} without an operation`)
    let state = ''
    let fragment = ''
    // the console itself is restarted by the upgrade: errors while it is down are retried
    await waitFor(`operation ${opId}`, seconds, async () => {
      fragment = await (await http(CONSOLE_PORT, `/ops/${opId}`)).text()
      state = /data-state="(\w+)"/.exec(fragment)?.[1] ?? ''
      return state === 'succeeded' || state === 'failed'
    })
    return {
      state,
      fragment: fragment
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    }
  }
  const signedIn = await check('sign in to the management console (8443)', async () => {
    const page = await (await http(CONSOLE_PORT, '/login')).text()
    const res = await http(
      CONSOLE_PORT,
      '/login',
      form({ _csrf: csrfOf(page), username: 'admin', password, next: '/upgrade' }),
    )
    if (res.status !== 303) throw new Error(`POST /login answered ${res.status}`)
  })
  const built = await check(
    `upgrade images built with build:img (${nextVersion}, tampered, broken ${brokenVersion})`,
    async () => {
      await imagesBuilt
      return `${figures['upgrade IMGs built (s)']} s`
    },
  )
  if (!signedIn || !built) return
  await check('a tampered IMG is refused on upload', async () => {
    const { status, page } = await upload(tamperedImg)
    if (status !== 422) throw new Error(`the upload answered ${status}, not 422`)
    if (!page.includes('Refused:')) throw new Error('the page does not say Refused')
    if (page.includes('id="apply"')) throw new Error('the tampered image can be applied')
    return /Refused:[^<]*/.exec(page)?.[0]
  })
  const upgraded = await check(
    `a signed IMG of ${nextVersion} is applied by the root helper; the incident survives`,
    async () => {
      const t = Date.now()
      const { id, page } = await upload(nextImg)
      if (!page.includes('id="apply"')) throw new Error(`not accepted: ${/Refused:[^<]*/.exec(page)?.[0]}`)
      const r = await applyStaged(id, 1800)
      if (r.state !== 'succeeded') {
        const j = await agent('journal clawback-privileged', 300).catch(() => ({ out: '' }))
        throw new Error(`upgrade ${r.state}: ${r.fragment}\n${j.out}`)
      }
      figures['upgrade apply (s)'] = ((Date.now() - t) / 1000).toFixed(1)
      await waitFor('/readyz after the upgrade', 600, readyz)
      const v = await runningVersion()
      if (v !== nextVersion) throw new Error(`current release is ${v}, expected ${nextVersion}`)
      return `${await incidentSurvives()}; current -> releases/${v}; ${figures['upgrade apply (s)']} s`
    },
  )
  if (!upgraded) return
  await check(`an IMG whose roles cannot start (${brokenVersion}) rolls back to ${nextVersion}`, async () => {
    const t = Date.now()
    const { id, page } = await upload(brokenImg)
    if (!page.includes('id="apply"')) throw new Error(`not accepted: ${/Refused:[^<]*/.exec(page)?.[0]}`)
    const r = await applyStaged(id, 1800)
    if (r.state !== 'failed') throw new Error(`expected the upgrade to fail, it ${r.state}: ${r.fragment}`)
    if (!/rolled back/i.test(r.fragment)) throw new Error(`no rollback reported: ${r.fragment}`)
    figures['failed upgrade + rollback (s)'] = ((Date.now() - t) / 1000).toFixed(1)
    await waitFor('/readyz after the rollback', 900, readyz)
    const v = await runningVersion()
    if (v !== nextVersion) throw new Error(`current release is ${v}, expected ${nextVersion}`)
    return `${await incidentSurvives()}; current -> releases/${v}; ${figures['failed upgrade + rollback (s)']} s`
  })
  // Restarts and crashes of the roles this boot (the releases swapped by the upgrades included):
  // under TCG node has died on V8 fatal checks (2026-12-06: the console, 12 times after the
  // upgrade), which a check that waits would otherwise hide.
  const restarts = await agentOk('restarts', 300).catch((err: Error) => `n/a: ${err.message}`)
  figures['role restarts this boot'] = restarts.trim().replace(/\n\s*/g, '; ')
}

/** The tty1 console's menu on ttyS2 (--recovery): the screen as text, and typing into it. */
let ttyRaw = ''
let ttyFrom = 0
let ttySock: Socket | undefined
const ttyText = () => stripVTControlCharacters(ttyRaw).replace(/\r/g, '')
const ttyConnect = async () => {
  ttySock = await connectSerial('tty.sock', (d) => {
    ttyRaw += d
  })
}
/** Waits for `re` in what the screen showed since the last match; returns the match and that text. */
const ttyExpect = async (re: RegExp, timeoutS = 600) => {
  const deadline = Date.now() + timeoutS * 1000
  while (Date.now() < deadline) {
    const text = ttyText().slice(ttyFrom)
    const m = re.exec(text)
    if (m) {
      ttyFrom += m.index + m[0].length
      return { m, text: text.slice(0, m.index + m[0].length) }
    }
    if (qemuExited) throw new Error('qemu exited')
    await sleep(500)
  }
  throw new Error(
    `the console did not show ${re} within ${timeoutS} s; it showed:\n${ttyText().slice(ttyFrom).slice(-1500)}`,
  )
}
/** Enter on the console's keyboard. */
const ttyType = (line: string) => ttySock!.write(`${line}\r`)
/** The next full status screen with its menu prompt. */
const ttyScreen = async () => (await ttyExpect(/Clawback \S+ on \S+\n[\s\S]*?7\) Power off[^\n]*\n> $/)).m[0]
const pressEnter = async () => {
  const { text } = await ttyExpect(/Press Enter to continue\. $/)
  ttyType('')
  return text
}

/**
 * --recovery: the OVA deployed without OVF properties, first boot cut off half-way, and the VM
 * console used to recover without SSH.
 *  1. first boot without properties; qemu killed (a power cut) once first boot is migrating
 *  2. the same disk booted again: first boot runs again, finishes, /readyz answers
 *  3. DHCP (the slirp lease) and the image's default host name
 *  4. the console (the product's tty1 unit, started on ttyS2 by the agent) shows version, URL,
 *     services and the generated one-time password; that password signs in (forced change)
 *  5. the menu: hide the password, reset the admin password (signs in, must be changed), network
 *     settings (host name and NTP applied by the root helper and read back), clawbackctl
 */
const NODE_DIED = /Segmentation fault|Check failed: [^\n]*/

const recoveryScenario = async () => {
  const firstBootSteps = (file: string) =>
    [...readFileSync(file, 'utf8').matchAll(/clawback first boot: ([^\r\n]*)/g)].map((m) => m[1]!.trim())
  const cut = await check('first boot without OVF properties is cut off half-way (qemu killed)', async () => {
    const deadline = Date.now() + READY_TIMEOUT_S * 1000
    while (!firstBootSteps(serial).includes('applying database migrations')) {
      if (await rebootAfterPanic()) continue
      if (qemuExited || Date.now() > deadline) throw new Error(`first boot never reached its migrations (${serial})`)
      await sleep(1000)
    }
    // into `clawbackctl migrate` (its start alone takes seconds under TCG)
    await sleep(8000)
    const steps = firstBootSteps(serial)
    if (steps.some((l) => l.startsWith('done'))) throw new Error('first boot finished before the cut')
    const at = secs()
    await powerOff()
    figures['first boot cut (qemu SIGKILL) after (s)'] = at
    return `killed ${at} s after qemu started; first boot's steps so far: ${steps.join(' | ')}`
  })
  if (!cut) return
  const rebootAt = Date.now()
  await bootAgain(path.join(work, 'serial-2.log'))
  const booted = await check('booted again: first boot finishes by itself and /readyz answers 200', async () => {
    await waitReady('/readyz after the second boot', READY_TIMEOUT_S)
    figures['second boot to ready (s)'] = secs(rebootAt)
    const steps = firstBootSteps(serial) // serial-2.log, or the boot after a guest kernel panic
    if (!steps.includes('applying database migrations') || !steps.some((l) => l.startsWith('done')))
      throw new Error(`first boot's steps on the second boot's console: ${steps.join(' | ') || '(none)'}`)
    return `${figures['second boot to ready (s)']} s after the second start; first boot this time: ${steps.join(' | ')}`
  })
  if (!booted) return
  await check(
    "without properties: a DHCP address and the image's host name; a kernel panic reboots; the linker may check foreign keys in sets; checkpoints spaced for intake",
    async () => {
      const out = stripVTControlCharacters(await agentOk('host-settings', 300))
      const problems: string[] = []
      if (!/^DHCP=(yes|ipv4)$/m.test(out)) problems.push('10-clawback.network is not DHCP')
      if (!/inet 10\.0\.2\.15\/24[^\n]*dynamic/.test(out)) problems.push('no DHCP lease on 10.0.2.15')
      const host = /## hostnamectl\n(\S+)\n/.exec(out)?.[1]
      if (host !== 'clawback') problems.push(`host name ${host}, not clawback`)
      if (!/## kernel\.panic\n10\n/.test(out)) problems.push('kernel.panic is not 10 (a panicked VM would not reboot)')
      // and from the first instant of boot (the loader entry's panic=10), before sysctl runs
      if (!/## cmdline\n[^\n]*\bpanic=10\b/.test(out)) problems.push('the kernel command line has no panic=10')
      // first boot's GRANT SET ON PARAMETER (migration 0017: without it the linker checks row by row)
      if (!/## linker checks foreign keys in sets\nt\n/.test(out))
        problems.push('the clawback role may not SET session_replication_role')
      // first boot's checkpoint spacing: a tenth of the data file system, 1 to 4 GB of WAL
      const wal = /## postgresql checkpoints\ncheckpoint_timeout=(\d+)s\nmax_wal_size=(\d+)MB\n/.exec(out)
      if (wal?.[1] !== '900' || !(Number(wal[2]) >= 1024 && Number(wal[2]) <= 4096))
        problems.push('PostgreSQL keeps its default checkpoint spacing (checkpoint_timeout, max_wal_size)')
      if (problems.length) throw new Error(`${problems.join('; ')}\n${out}`)
      return `DHCP=yes, 10.0.2.15/24 dynamic, host name clawback, kernel.panic = 10 (command line and sysctl), session_replication_role granted, max_wal_size ${wal?.[2]} MB`
    },
  )

  let oneTime = ''
  const shown = await check(
    'the VM console (tty1 menu, on ttyS2 here) shows version, URL, services and a one-time admin password',
    async () => {
      const started = await agentOk('tty-serial', 300)
      if (!/^active$/m.test(started)) throw new Error(`clawback-tty-serial: ${started}`)
      await ttyConnect()
      const screen = await ttyScreen()
      const problems: string[] = []
      if (!screen.includes(`Clawback ${version} on clawback`)) problems.push('no version and host name')
      if (!/Analyst UI and API:\s+https:\/\/10\.0\.2\.15\//.test(screen)) problems.push('no URL')
      if (!/Management console:\s+https:\/\/10\.0\.2\.15:8443\//.test(screen)) problems.push('no console URL')
      for (const u of ['postgresql@17-main', 'clawback-api'])
        if (!new RegExp(`${u}\\s+active`).test(screen)) problems.push(`${u} not active`)
      oneTime = /One-time password of user admin: (\S+)/.exec(screen)?.[1] ?? ''
      if (!oneTime) problems.push('no one-time password')
      if (problems.length) throw new Error(`${problems.join('; ')}:\n${screen}`)
      return screen.split('\n').slice(0, 8).join(' / ').replace(/\s+/g, ' ')
    },
  )
  if (!shown) return
  const pw = () => `Tty-${randomBytes(9).toString('base64url')}`
  await check('the one-time password from the console signs in; the forced change is honoured', () =>
    signInChangingPassword(oneTime, pw()),
  )
  await check('menu 5 hides the one-time password', async () => {
    ttyType('5')
    await pressEnter()
    const screen = await ttyScreen()
    if (screen.includes('One-time password')) throw new Error(`still shown:\n${screen}`)
  })
  // Node has died under TCG now and then (packer/README.md): SIGSEGV, or V8's fatal check
  // `it->second.Size() > offset` (its JIT page registry). When the console shows such a death the
  // operator's move is to choose the item again: at most 4 attempts, every crash in the figures.
  const segfaults: string[] = []
  const menuItem = async (what: string, interact: () => Promise<string>) => {
    for (let attempt = 1; ; attempt++) {
      const said = await interact()
      if (!NODE_DIED.test(said) || attempt === 4) return said
      segfaults.push(`${what}: ${NODE_DIED.exec(said)![0]}`)
      await ttyScreen()
    }
  }
  await check('menu 3 resets the admin password; it signs in and must be changed', async () => {
    const reset = pw()
    const said = await menuItem('menu 3', async () => {
      ttyType('3')
      await ttyExpect(/New password for admin[^:]*: $/)
      ttyType(reset)
      await ttyExpect(/Repeat: $/)
      ttyType(reset)
      return pressEnter()
    })
    if (/clawbackctl:|differ/.test(said) || NODE_DIED.test(said)) throw new Error(`the console said:\n${said}`)
    await ttyScreen()
    await signInChangingPassword(reset, pw())
  })
  await check('menu 2 sets host name and NTP; the root helper applies them and they read back', async () => {
    const said = await menuItem('menu 2', async () => {
      ttyType('2')
      await ttyExpect(/Host name \(empty: keep\): $/)
      ttyType('cb-console')
      await ttyExpect(/IPv4 .*\(empty: keep\): $/)
      ttyType('')
      await ttyExpect(/NTP servers, comma-separated \(empty: keep\): $/)
      ttyType('ntp.console.example.test')
      return pressEnter()
    })
    const opId = /queued (system-[\w-]+)/.exec(said)?.[1]
    if (!opId) throw new Error(`no operation queued; the console said:\n${said}`)
    await ttyScreen()
    await helperFinished(opId)
    let out = ''
    await waitFor('host name and NTP read back', 300, async () => {
      out = stripVTControlCharacters(await agentOk('host-settings', 300))
      return /## hostnamectl\ncb-console\n/.test(out) && /SystemNTPServers=ntp\.console\.example\.test/.test(out)
    }).catch(() => {
      throw new Error(`not read back:\n${out}`)
    })
    if (!/^DHCP=(yes|ipv4)$/m.test(out)) throw new Error(`the address setting was not kept (DHCP):\n${out}`)
    return `${opId}: hostnamectl cb-console, SystemNTPServers=ntp.console.example.test, still DHCP`
  })
  await check(
    'menu 4 runs a clawbackctl command (migrate --status: the interrupted migrations completed)',
    async () => {
      const said = await menuItem('menu 4', async () => {
        ttyType('4')
        // the usage (clawbackctl --help), then its prompt
        const { text } = await ttyExpect(/\nclawbackctl $/)
        if (!text.includes('usage: clawbackctl'))
          segfaults.push(`menu 4 (--help): ${NODE_DIED.exec(text)?.[0] ?? 'no usage shown'}`)
        ttyType('migrate --status')
        return pressEnter()
      })
      if (!said.includes('schema is current')) throw new Error(`the console said:\n${said}`)
      await ttyScreen()
      return 'schema is current'
    },
  )
  figures['node deaths on the console, item chosen again (TCG)'] = segfaults.join('; ') || 'none'
}

let exitCode = 1
try {
  await agentConnect()
  if (recovery) await recoveryScenario()
  else {
    let readyAfter = 0
    const booted = await check('first boot completes and /readyz answers 200', async () => {
      await waitReady('first boot', READY_TIMEOUT_S)
      readyAfter = Number(secs())
      figures['boot to ready (s)'] = String(readyAfter)
      return `${readyAfter} s after qemu started`
    })
    if (booted) {
      const newPassword = `Changed-${randomBytes(9).toString('base64url')}`
      await check('sign in as admin with the OVF admin_password; the forced change is honoured', () =>
        signInChangingPassword(adminPassword, newPassword),
      )
      let apiKey = ''
      await check('create an API key with the session', async () => {
        const csrf = csrfOf(await (await http(API_PORT, '/account/password')).text())
        const res = await http(API_PORT, '/api/v1/api-keys', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify({ name: 'boot test', teams: ['Admins'] }),
        })
        if (res.status !== 201 && res.status !== 200) throw new Error(`answered ${res.status}: ${await res.text()}`)
        apiKey = ((await res.json()) as { data: { key: string } }).data.key
      })
      const api = (p: string, init: RequestInit = {}) =>
        fetch(`https://127.0.0.1:${API_PORT}${p}`, {
          ...init,
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...init.headers },
          signal: AbortSignal.timeout(60_000),
        })
      const subject = `Boot test ${randomBytes(4).toString('hex')}`
      await check('post an alert to a JSON source and see its incident over the API', async () => {
        const src = await api('/api/v1/sources', {
          method: 'POST',
          body: JSON.stringify({ name: 'Boot test', type: 'json' }),
        })
        if (src.status !== 201) throw new Error(`source: ${src.status} ${await src.text()}`)
        const url = new URL(((await src.json()) as { data: { url: string } }).data.url)
        const alert = {
          json_version: '2.0',
          summary: 'Phish reported by the boot test',
          classification: 'phish',
          severity: 'major',
          email: {
            sender: 'bad@evil.example',
            recipient: ['jdoe@corp.example'],
            subject,
            message_id: `<${subject.replace(/ /g, '.')}@evil.example>`,
          },
        }
        const posted = await fetch(`https://127.0.0.1:${API_PORT}${url.pathname}`, {
          method: 'POST',
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(60_000),
        })
        if (posted.status !== 200) throw new Error(`alert: ${posted.status} ${await posted.text()}`)
        // intake answers once the alert is durably in the intake log; the worker role links it
        // moments later (accept-then-link). An integration finds the incident the way the
        // compatible API documents: GET /api/incidents?message_id=… — polled, bounded for TCG.
        const { alert_id } = (await posted.json()) as { alert_id: number }
        if (!Number.isInteger(alert_id)) throw new Error('the intake answer carries no alert_id')
        let incident_id = 0
        const linkStarted = Date.now()
        await waitFor('the alert linked into an incident (GET /api/incidents?message_id=)', 300, async () => {
          const r = await api(
            `/api/incidents?expand_events=false&message_id=${encodeURIComponent(alert.email.message_id)}`,
            { headers: { authorization: apiKey } },
          )
          if (r.status !== 200) throw new Error(`GET /api/incidents answered ${r.status}`)
          // expand_events=false answers the alert ids in event_ids and `events: null` (API-COMPAT.md);
          // reading `events` threw on every poll and the check timed out with the incident there
          const found = ((await r.json()) as { id: number; event_ids: number[] | null }[]).find((i) =>
            i.event_ids?.includes(alert_id),
          )
          incident_id = found?.id ?? 0
          return incident_id > 0
        })
        figures['alert → incident visible (s)'] = ((Date.now() - linkStarted) / 1000).toFixed(1)
        const inc = await api(`/api/v1/incidents/${incident_id}`)
        if (inc.status !== 200) throw new Error(`incident: ${inc.status}`)
        const list = (await (await api(`/api/v1/incidents?q=${encodeURIComponent(subject)}`)).json()) as {
          items: { id: number }[]
        }
        if (!list.items.some((i) => i.id === incident_id)) throw new Error('the incident is not in the search result')
        return `incident ${incident_id} (alert ${alert_id}; visible on /api/incidents after ${figures['alert → incident visible (s)']} s)`
      })
      await check('the management console answers on 8443 over TLS', async () => {
        // The console is its own unit: its config check and first start (minutes under TCG), or a
        // restart, can end after the API is ready, so it gets its own wait (restarts are reported).
        // Without the jar: cookies are per host, not per port, so the API port's session would be
        // sent here too and the signed-in console would redirect /login to its home page.
        const t = Date.now()
        await waitFor('the console sign-in page on 8443', 900, async () => {
          const res = await fetch(`https://127.0.0.1:${CONSOLE_PORT}/login`, { signal: AbortSignal.timeout(60_000) })
          if (res.status !== 200) throw new Error(`GET /login on the console answered ${res.status}`)
          if (!(await res.text()).includes('Sign in')) throw new Error('the console did not show its sign-in page')
          return true
        })
        figures['console sign-in page waited (s)'] = ((Date.now() - t) / 1000).toFixed(1)
        return `after ${figures['console sign-in page waited (s)']} s`
      })
      if (!firstBootOnly) await afterFirstBoot(apiKey, subject, newPassword)
    }
  }
} finally {
  stop()
  const sizes = [
    raw,
    ...['ova', 'img'].map((e) => path.join(out, `clawback-${version}.${e}`)),
    path.join(out, `clawback-${version}-disk1.vmdk`),
  ]
  for (const f of sizes)
    if (existsSync(f)) figures[`${path.basename(f)} (MiB)`] = String(Math.round(statSync(f).size / 2 ** 20))
  figures['total run (s)'] = secs()
  process.stdout.write(
    `\nfigures:\n${Object.entries(figures)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n')}\n`,
  )
  const passed = results.filter((r) => r.ok).length
  const failed = results.length - passed
  process.stdout.write(`serial console: ${serial}\n${passed} passed, ${failed} failed\n`)
  exitCode = failed === 0 && passed > 0 ? 0 : 1
  if (!options.keep && exitCode === 0) rmSync(overlay, { force: true })
}
process.exit(exitCode)
