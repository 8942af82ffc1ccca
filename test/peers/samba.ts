import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, openSync, rmSync } from 'node:fs'
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { connect } from 'node:tls'
import { promisify } from 'node:util'

/**
 * A real Samba AD DC (Debian `samba-ad-dc`, installed by .ci/run; this installs nothing) on
 * loopback, per /work/shared/TEST-PEERS.md: realm CORP.EXAMPLE.TEST, `interfaces = lo`, `bind
 * interfaces only`, the provisioned `dns forwarder` removed (it would send queries off the
 * machine), `server services = ldap` only, LDAPS with a test CA whose server certificate names
 * localhost / 127.0.0.1 / ::1.
 *
 * Samba binds the standard ports (389, 636) so one peer runs per machine: `startSambaPeer()`
 * takes a lock file in the system temp dir (waiting for another holder; a holder whose process
 * died is taken over and its Samba stopped by the PID it recorded). Provisioning and seeding with
 * samba-tool are slow (tens of seconds on a busy machine), so the provisioned, seeded directory is
 * kept as a template under test/.tmp/samba/ keyed by this file's seed and the Samba version; each
 * start copies it (the only absolute paths are in smb.conf) and starts `samba` on the copy, so every
 * peer starts from the same directory state. `stop()` stops Samba by its PID and removes the copy.
 */

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../.tmp/samba')
const LOCK = join(tmpdir(), 'clawback-samba.lock')
const DIR_TOKEN = '@SAMBA_DIR@'
/** Bump when provision() changes what it builds (the seed and the Samba version are hashed already). */
const TEMPLATE_VERSION = 1

export const REALM = 'CORP.EXAMPLE.TEST'
export const BASE_DN = 'DC=corp,DC=example,DC=test'
const DOMAIN = 'corp.example.test'
export const ADMIN_PASSWORD = 'Adm1n-Pass!word'
/** the password every seeded user has */
export const USER_PASSWORD = 'Us3r-Pass!word'

/**
 * The seeded directory. all-staff (distribution, with an extra smtp: proxy address) holds alice,
 * bob, dave (disabled) and the security group engineering, which holds bob again and the
 * security group platform, which holds grace and frank (no mail attribute). outsider is in no group.
 */
export const SEED = {
  users: {
    alice: 'alice@corp.example.test',
    bob: 'bob@corp.example.test',
    dave: 'dave@corp.example.test',
    erin: 'erin@corp.example.test',
    grace: 'grace@corp.example.test',
    frank: null,
    outsider: 'outsider@corp.example.test',
  } as Record<string, string | null>,
  disabled: ['dave'],
  groups: [
    {
      name: 'all-staff',
      type: 'Distribution',
      mail: 'all-staff@corp.example.test',
      proxy: 'everyone@corp.example.test',
      members: ['alice', 'bob', 'dave', 'engineering'],
    },
    { name: 'engineering', type: 'Security', mail: 'engineering@corp.example.test', members: ['bob', 'platform'] },
    { name: 'platform', type: 'Security', mail: null, members: ['grace', 'frank', 'erin'] },
  ],
} as const

export type SambaPeer = {
  /** ldaps://localhost:636 */
  ldapsUrl: string
  /** ldap://localhost:389 (AD refuses simple binds here without StartTLS) */
  ldapUrl: string
  baseDn: string
  /** Administrator's UPN, a bind name AD accepts */
  adminUpn: string
  adminPassword: string
  /** PEM of the CA that issued the DC's certificate */
  caPem: string
  /** UPN of a seeded user */
  upn(user: string): string
  /** milliseconds from the call to LDAPS answering (template build included when it ran) */
  startMs: number
  stop(): Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Takes the machine-wide Samba lock, waiting for a live holder; a dead holder's Samba is stopped by its PID. */
const takeLock = async (timeoutMs: number) => {
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      await writeFile(LOCK, JSON.stringify({ pid: process.pid }), { flag: 'wx' })
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = JSON.parse(await readFile(LOCK, 'utf8').catch(() => '{}')) as { pid?: number; sambaPid?: number }
    if (holder.pid && !isAlive(holder.pid)) {
      if (holder.sambaPid && isAlive(holder.sambaPid)) {
        process.kill(holder.sambaPid, 'SIGTERM')
        for (let i = 0; i < 50 && isAlive(holder.sambaPid); i++) await sleep(100)
      }
      await rm(LOCK, { force: true })
      continue
    }
    if (Date.now() > until) throw new Error(`samba peer: ${LOCK} is held by pid ${holder.pid}`)
    await sleep(250)
  }
}

const tool = (conf: string, ...args: string[]) =>
  run('samba-tool', [...args, '-s', conf], { timeout: 180_000 }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`samba-tool ${args.slice(0, 2).join(' ')}: ${err.stderr || err.message}`)
  })

/** A CA and a server certificate for localhost, 127.0.0.1 and ::1 (openssl); Samba wants the key 0600. */
const makeTls = async (dir: string) => {
  await mkdir(dir, { recursive: true })
  const o = (...args: string[]) => run('openssl', args, { cwd: dir })
  const days = ['-days', '3650']
  await o(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    ...days,
    '-subj',
    '/CN=Clawback test CA',
  )
  await o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=localhost')
  await writeFile(
    join(dir, 'ext.cnf'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  )
  await o(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'cert.pem',
    ...days,
    '-extfile',
    'ext.cnf',
  )
  await chmod(join(dir, 'key.pem'), 0o600)
}

/** Provisions and seeds a DC in `dir` (`dir/run` is Samba's target dir, `dir/tls` its certificate). */
const provision = async (dir: string) => {
  const target = join(dir, 'run')
  await makeTls(join(dir, 'tls'))
  await run(
    'samba-tool',
    [
      'domain',
      'provision',
      `--targetdir=${target}`,
      `--realm=${REALM}`,
      '--domain=CORP',
      `--adminpass=${ADMIN_PASSWORD}`,
      '--server-role=dc',
      '--dns-backend=SAMBA_INTERNAL',
      '--use-rfc2307',
      '--host-name=dc1',
      '--host-ip=127.0.0.1',
      '--option=interfaces=lo',
      '--option=bind interfaces only=yes',
    ],
    { timeout: 300_000 },
  )
  const conf = join(target, 'etc/smb.conf')
  const tls = join(dir, 'tls')
  const text = (await readFile(conf, 'utf8'))
    // the resolver provisioning copied in: Samba would forward DNS queries off the machine
    .replace(/^\s*dns forwarder\s*=.*\n/m, '')
    .replace(/^(\s*)log file\s*=.*$/m, `$1log file = ${target}/log.samba`)
    // samba-tool user create would otherwise run the system's passwd program
    .replace(/^(\s*)unix password sync\s*=.*$/m, '$1unix password sync = no')
    .replace(
      /^\[global\]$/m,
      [
        '[global]',
        '\tserver services = ldap',
        '\ttls enabled = yes',
        `\ttls keyfile = ${tls}/key.pem`,
        `\ttls certfile = ${tls}/cert.pem`,
        `\ttls cafile = ${tls}/ca.pem`,
      ].join('\n'),
    )
  if (/dns forwarder/.test(text) || !/interfaces = lo/.test(text)) throw new Error('samba peer: unexpected smb.conf')
  await writeFile(conf, text)
  for (const [user, mail] of Object.entries(SEED.users))
    await tool(conf, 'user', 'create', user, USER_PASSWORD, ...(mail ? [`--mail-address=${mail}`] : []))
  for (const user of SEED.disabled) await tool(conf, 'user', 'disable', user)
  for (const g of SEED.groups)
    await tool(conf, 'group', 'add', g.name, `--group-type=${g.type}`, ...(g.mail ? [`--mail-address=${g.mail}`] : []))
  for (const g of SEED.groups) await tool(conf, 'group', 'addmembers', g.name, g.members.join(','))
  const ldif = SEED.groups
    .filter((g) => 'proxy' in g)
    .map(
      (g) =>
        `dn: CN=${g.name},CN=Users,${BASE_DN}\nchangetype: modify\nadd: proxyAddresses\nproxyAddresses: SMTP:${g.mail}\nproxyAddresses: smtp:${(g as { proxy: string }).proxy}\n`,
    )
    .join('\n')
  await writeFile(join(dir, 'seed.ldif'), ldif)
  await run('ldbmodify', ['-H', join(target, 'private/sam.ldb'), join(dir, 'seed.ldif')], { timeout: 120_000 })
  await rm(join(target, 'msg.sock'), { recursive: true, force: true })
  await writeFile(conf, (await readFile(conf, 'utf8')).replaceAll(dir, DIR_TOKEN))
}

/** The template for this seed and Samba version, built once (under the lock) and reused. */
const template = async () => {
  const { stdout: version } = await run('samba', ['--version']).catch((err: NodeJS.ErrnoException) => {
    throw new Error(
      `samba peer: samba not runnable (${err.code ?? err.message}); apt-get install -y samba-ad-dc samba winbind krb5-user ldap-utils ldb-tools`,
    )
  })
  const key = createHash('sha256')
    .update(version)
    .update(JSON.stringify(SEED))
    .update(String(TEMPLATE_VERSION))
    .digest('hex')
    .slice(0, 12)
  const dir = join(ROOT, `template-${key}`)
  if (existsSync(join(dir, 'ready'))) return dir
  await mkdir(ROOT, { recursive: true })
  const build = await mkdtemp(join(ROOT, 'build-'))
  try {
    await provision(build)
    await writeFile(join(build, 'ready'), new Date().toISOString())
    await rm(dir, { recursive: true, force: true })
    await rename(build, dir)
    for (const name of await readdir(ROOT))
      if (name.startsWith('template-') && join(ROOT, name) !== dir)
        await rm(join(ROOT, name), { recursive: true, force: true })
  } catch (err) {
    await rm(build, { recursive: true, force: true })
    throw err
  }
  return dir
}

/** Resolves when a TLS handshake on 127.0.0.1:636 succeeds (the LDAPS listener is up with its certificate). */
const waitForLdaps = async (samba: ChildProcess, ca: string, logFile: string, timeoutMs: number) => {
  const until = Date.now() + timeoutMs
  for (;;) {
    if (samba.exitCode !== null || samba.signalCode !== null)
      throw new Error(
        `samba peer: samba exited (${samba.exitCode ?? samba.signalCode}); ${(await readFile(logFile, 'utf8').catch(() => '')).slice(-2000)}`,
      )
    const isUp = await new Promise<boolean>((ok) => {
      const s = connect({ host: '127.0.0.1', port: 636, ca, servername: 'localhost' }, () => {
        s.destroy()
        ok(true)
      })
      s.on('error', () => ok(false))
      s.setTimeout(2000, () => {
        s.destroy()
        ok(false)
      })
    })
    if (isUp) return
    if (Date.now() > until) throw new Error(`samba peer: LDAPS not answering after ${timeoutMs} ms`)
    await sleep(100)
  }
}

const isPortTaken = (port: number) =>
  new Promise<boolean>((ok) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy()
      ok(true)
    })
    s.on('error', () => ok(false))
  })

/** Waits until nothing listens on 127.0.0.1:389/636 (a peer that just stopped may linger a moment). */
const waitPortsFree = async (timeoutMs: number) => {
  const until = Date.now() + timeoutMs
  for (;;) {
    const taken = []
    for (const port of [389, 636]) if (await isPortTaken(port)) taken.push(port)
    if (taken.length === 0) return
    if (Date.now() > until) throw new Error(`samba peer: 127.0.0.1:${taken.join(', ')} still taken by another process`)
    await sleep(100)
  }
}

/** Starts a fresh copy of the seeded DC (see the file comment). Call `stop()` when done. */
export const startSambaPeer = async (opts: { lockTimeoutMs?: number } = {}): Promise<SambaPeer> => {
  const started = Date.now()
  await takeLock(opts.lockTimeoutMs ?? 600_000)
  let samba: ChildProcess | undefined
  let dir: string | undefined
  // a test process that exits without stop() (a killed worker's parent, an uncaught error) takes Samba with it
  const onExit = () => {
    if (samba?.pid && samba.exitCode === null) process.kill(samba.pid, 'SIGKILL')
    rmSync(LOCK, { force: true })
  }
  const release = async () => {
    process.off('exit', onExit)
    if (samba?.pid && samba.exitCode === null && samba.signalCode === null) {
      const exited = new Promise((r) => samba!.once('exit', r))
      process.kill(samba.pid, 'SIGTERM')
      const t = setTimeout(() => samba?.pid && isAlive(samba.pid) && process.kill(samba.pid, 'SIGKILL'), 10_000)
      await exited
      clearTimeout(t)
      // the prefork workers close their listeners a moment after the master exits
      await waitPortsFree(15_000).catch(() => {})
    }
    if (dir && !process.env.SAMBA_PEER_KEEP) await rm(dir, { recursive: true, force: true })
    await rm(LOCK, { force: true })
  }
  try {
    await waitPortsFree(15_000)
    // holding the lock, no peer of this checkout runs: copies and builds left by a killed run go
    for (const name of await readdir(ROOT).catch(() => []))
      if (name.startsWith('run-') || name.startsWith('build-'))
        await rm(join(ROOT, name), { recursive: true, force: true })
    const tpl = await template()
    dir = await mkdtemp(join(ROOT, 'run-'))
    await cp(tpl, dir, { recursive: true })
    const conf = join(dir, 'run/etc/smb.conf')
    await writeFile(conf, (await readFile(conf, 'utf8')).replaceAll(DIR_TOKEN, dir))
    const logFile = join(dir, 'samba.out')
    const out = openSync(logFile, 'a')
    samba = spawn('samba', ['-s', conf, '-F', '--no-process-group', '--debug-stdout'], { stdio: ['ignore', out, out] })
    await writeFile(LOCK, JSON.stringify({ pid: process.pid, sambaPid: samba.pid }))
    process.once('exit', onExit)
    const caPem = await readFile(join(dir, 'tls/ca.pem'), 'utf8')
    await waitForLdaps(samba, caPem, logFile, 60_000)
    return {
      ldapsUrl: 'ldaps://localhost:636',
      ldapUrl: 'ldap://localhost:389',
      baseDn: BASE_DN,
      adminUpn: `Administrator@${DOMAIN}`,
      adminPassword: ADMIN_PASSWORD,
      caPem,
      upn: (user) => `${user}@${DOMAIN}`,
      startMs: Date.now() - started,
      stop: release,
    }
  } catch (err) {
    await release()
    throw err
  }
}
