import { execFile, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { freePort, ROOT, waitForPidFile } from '../harness/process.ts'

const run = promisify(execFile)

const readLog = (dir: string) => {
  try {
    return readFileSync(path.join(dir, 'dovecot.log'), 'utf8').slice(-2000)
  } catch {
    return ''
  }
}

export type DovecotPeer = {
  host: string
  port: number
  /** the master user's login name and password: log in as `<mailbox>*<master>` */
  master: { name: string; password: string }
  /** every mailbox's password (logins as the user themselves, to read their mailbox back) */
  passwords: Record<string, string>
  /** delivers an RFC 5322 message into a folder of a mailbox with `doveadm save` (no IMAP involved) */
  save(mailbox: string, eml: string, folder?: string): Promise<void>
  stop(): Promise<void>
}

/**
 * A real Dovecot 2.3 (installed by the CI script: `apt-get install dovecot-imapd dovecot-core`),
 * started with a private configuration under test/.tmp: IMAP only on 127.0.0.1 and a free port,
 * plaintext logins (loopback only), passwd-file users plus a master user (`user*master`),
 * maildir, the SPECIAL-USE folders Sent, Drafts, Trash and Junk created on first login. Installs
 * nothing itself; stops the daemon by the PID in its master.pid.
 */
export const startDovecot = async (opts: { users: string[]; port?: number }): Promise<DovecotPeer> => {
  if (!existsSync('/usr/sbin/dovecot')) throw new Error('dovecot is not installed (apt-get install dovecot-imapd)')
  const dir = path.join(ROOT, 'test/.tmp', `dovecot-${process.pid}-${Date.now()}`)
  mkdirSync(path.join(dir, 'mail'), { recursive: true })
  const port = opts.port ?? (await freePort())
  const master = { name: 'clawback-master', password: 'master-pw-1' }
  const passwords = Object.fromEntries(opts.users.map((u, i) => [u, `user-pw-${i}`]))
  // Mail files belong to the dovecot system user (root is refused as a mail uid).
  const owner = process.getuid?.() === 0 ? 'dovecot' : userInfo().username
  writeFileSync(path.join(dir, 'users'), opts.users.map((u) => `${u}:{PLAIN}${passwords[u]}::::::\n`).join(''))
  writeFileSync(path.join(dir, 'masters'), `${master.name}:{PLAIN}${master.password}\n`)
  const box = (name: string, use: string) =>
    `  mailbox ${name} {\n    special_use = ${use}\n    auto = subscribe\n  }\n`
  const conf = `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = clawback-test-${port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_master_user_separator = *
first_valid_uid = 1
first_valid_gid = 1
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:${dir}/mail/%u
mail_uid = ${owner}
mail_gid = ${owner}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${dir}/masters
  master = yes
  pass = yes
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/users
}
namespace inbox {
  inbox = yes
  separator = /
${box('Sent', '\\Sent')}${box('Drafts', '\\Drafts')}${box('Trash', '\\Trash')}${box('Junk', '\\Junk')}}
`
  const confPath = path.join(dir, 'dovecot.conf')
  writeFileSync(confPath, conf)
  if (owner === 'dovecot') {
    const { stdout } = await run('id', ['-u', 'dovecot'])
    const { stdout: gid } = await run('id', ['-g', 'dovecot'])
    chownSync(path.join(dir, 'mail'), Number(stdout.trim()), Number(gid.trim()))
  }
  // The daemon keeps inherited descriptors open: give it none, and wait only for the launcher's exit.
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/usr/sbin/dovecot', ['-c', confPath], { stdio: 'ignore' })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`dovecot exited ${code}: ${readLog(dir)}`))))
  })
  const pidFile = path.join(dir, 'run', 'master.pid')
  const pid = await waitForPidFile(pidFile).catch((err: Error) => {
    throw new Error(`dovecot: ${err.message}: ${readLog(dir)}`)
  })
  return {
    host: '127.0.0.1',
    port,
    master,
    passwords,
    async save(mailbox, eml, folder = 'INBOX') {
      await new Promise<void>((resolve, reject) => {
        const child = spawn('/usr/bin/doveadm', ['-c', confPath, 'save', '-u', mailbox, '-m', folder], {
          stdio: ['pipe', 'ignore', 'pipe'],
        })
        let err = ''
        child.stderr.on('data', (d) => {
          err += d
        })
        child.on('error', reject)
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`doveadm save: ${code} ${err}`))))
        child.stdin.end(eml.replace(/\r?\n/g, '\r\n'))
      })
    },
    async stop() {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        /* already gone */
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0)
        } catch {
          break
        }
        await new Promise((r) => setTimeout(r, 50))
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A plain RFC 5322 message (CRLF added by `save`). */
export const eml = (m: {
  from: string
  to: string
  subject: string
  messageId?: string
  date?: Date
  references?: string
  body?: string
}) =>
  [
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: ${m.subject}`,
    `Date: ${(m.date ?? new Date()).toUTCString()}`,
    ...(m.messageId ? [`Message-ID: ${m.messageId}`] : []),
    ...(m.references ? [`References: ${m.references}`, `In-Reply-To: ${m.references}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    m.body ?? 'hello',
    '',
  ].join('\n')
