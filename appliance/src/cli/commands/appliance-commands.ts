import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { AppError } from '../../../../core/src/errors.ts'
import { SYSTEM } from '../../../../core/src/policy/actor.ts'
import { readAgentSettings, setAgentSettings } from '../../agent/agent-settings.ts'
import { setBackupSchedule } from '../../backup/backup-schedule.ts'
import { createBackup } from '../../backup/create-backup.ts'
import { backupFile, deleteBackup, listBackups } from '../../backup/list-backups.ts'
import { readBackup } from '../../backup/read-backup.ts'
import { restoreBackup } from '../../backup/restore-backup.ts'
import { exportMasterSecret } from '../../secret/export-master-secret.ts'
import { importMasterSecret } from '../../secret/import-master-secret.ts'
import { masterSecretStatus } from '../../secret/keyring-file.ts'
import { rotateMasterSecret } from '../../secret/rotate-master-secret.ts'
import { generateCsr } from '../../tls/generate-csr.ts'
import { installCertificate } from '../../tls/install-certificate.ts'
import { setWebTls } from '../../tls/tls-context.ts'
import { describeCertificate } from '../../tls/tls-files.ts'
import { applyUpgrade, verifyUpgrade } from '../../upgrade/apply-upgrade.ts'
import { type Command, type CommandContext, withRuntime } from '../command.ts'

/** Operator actions from the console TTY are audited as `clawbackctl`. */
const CTL = { ...SYSTEM, label: 'clawbackctl' }
const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
const passphrase = async (ctx: CommandContext) => {
  const text = (await ctx.readStdin()).replace(/\r?\n$/, '')
  if (!text) throw new Error('give the passphrase on standard input, e.g. `printf %s "$PASS" | clawbackctl ...`')
  return text
}
/** A backup argument: a name in the backups folder, or a path to a file. */
const backupArg = (ctx: CommandContext) => {
  const a = ctx.args[0]
  if (!a) throw new Error('name a backup (see `clawbackctl backup list`) or give a file path')
  return a.includes('/') ? path.resolve(a) : backupFile(ctx.config.dataDir, a)
}
const progressTo = (ctx: CommandContext) => {
  let last = ''
  return (step: string, percent: number) => {
    const line = `${Math.round(percent)}% ${step}`
    if (line !== last) ctx.stderr(`\r${line.padEnd(60)}`)
    last = line
  }
}
/** GET /readyz on loopback (the appliance's own, possibly self-signed, certificate is accepted). */
const isReady = async (port: number, tls: boolean) => {
  const mod = tls ? await import('node:https') : await import('node:http')
  return new Promise<boolean>((resolve) => {
    const req = mod.get(
      { host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, timeout: 2000 },
      (res) => {
        res.resume()
        resolve(res.statusCode === 200)
      },
    )
    req.on('error', () => resolve(false))
    req.on('timeout', () => req.destroy())
  })
}
/**
 * How long the root helper waits for the api role's /readyz after switching releases before it
 * rolls back: 60 s (seconds on ESXi) unless CLAWBACK_UPGRADE_READY_TIMEOUT_S says otherwise — only
 * the boot test's guest agent sets it, because under qemu's emulation a role start takes minutes.
 * @throws AppError INVALID_REQUEST naming the variable when it is not a whole number of 1..86400 seconds.
 */
export const upgradeReadyTimeoutS = (raw: string | undefined) => {
  if (raw === undefined || raw === '') return 60
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > 86_400)
    throw new AppError('INVALID_REQUEST', 'CLAWBACK_UPGRADE_READY_TIMEOUT_S: a whole number of seconds, 1 to 86400')
  return n
}
const root = (ctx: CommandContext) => str(ctx.options.root) ?? ctx.config.root

export const applianceCommands: Command[] = [
  {
    path: ['backup', 'create'],
    usage: 'backup create',
    summary: 'take a backup now (database, blobs, configuration; encrypted)',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        const b = await createBackup({
          db: rt.db,
          keyring: rt.keyring,
          dataDir: ctx.config.dataDir,
          actor: CTL,
          progress: progressTo(ctx),
        })
        ctx.stderr('\n')
        ctx.stdout(`${b.file}\n`)
        return 0
      }),
  },
  {
    path: ['backup', 'list'],
    usage: 'backup list',
    summary: 'list backups with size, version and kind',
    async run(ctx) {
      for (const b of listBackups(ctx.config.dataDir))
        ctx.stdout(`${b.name}\t${b.size}\t${b.version}\t${b.trigger}\t${b.createdAt}\n`)
      return 0
    },
  },
  {
    path: ['backup', 'verify'],
    usage: 'backup verify NAME|FILE',
    summary: 'decrypt and check every entry of a backup',
    async run(ctx) {
      const { loadOrCreateMasterSecret } = await import('../../../../core/src/crypto/master-secret.ts')
      const { meta } = await readBackup(backupArg(ctx), loadOrCreateMasterSecret(ctx.config.masterSecretFile))
      ctx.stdout(
        `OK: version ${meta.releaseVersion}, ${meta.tables.length} tables, ${meta.tables.reduce((s, t) => s + t.rows, 0)} rows, ${meta.blobs} blobs, taken ${meta.createdAt}\n`,
      )
      return 0
    },
  },
  {
    path: ['backup', 'restore'],
    usage: 'backup restore NAME|FILE --yes',
    summary: 'restore a backup (the current data is kept aside until the next restore)',
    async run(ctx) {
      if (ctx.options.yes !== true) throw new Error('restore replaces the current data: add --yes')
      const file = backupArg(ctx)
      return withRuntime(ctx, async (rt) => {
        const r = await restoreBackup({
          file,
          keyring: rt.keyring,
          dataDir: ctx.config.dataDir,
          databaseUrl: rt.url,
          actor: CTL,
          progress: progressTo(ctx),
        })
        ctx.stderr('\n')
        ctx.stdout(
          `restored backup of ${r.meta.createdAt} (version ${r.meta.releaseVersion}) in ${r.ms} ms; newer migrations applied: ${r.newerMigrations.length}; previous database kept as ${r.previousDatabase ?? '(none)'}\nrestart the roles (systemctl restart clawback.target) so every process reconnects\n`,
        )
        return 0
      })
    },
  },
  {
    path: ['backup', 'delete'],
    usage: 'backup delete NAME',
    summary: 'delete a backup file',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        await deleteBackup(rt.db, CTL, ctx.config.dataDir, ctx.args[0] ?? '')
        return 0
      }),
  },
  {
    path: ['backup', 'schedule'],
    usage: 'backup schedule --frequency off|daily|weekly [--hour H] [--weekday D] [--retention N]',
    summary: 'set the backup schedule',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        const n = (k: string, d: number) => (str(ctx.options[k]) ? Number(ctx.options[k]) : d)
        const s = await setBackupSchedule(rt.db, CTL, {
          frequency: str(ctx.options.frequency) ?? 'off',
          hour: n('hour', 2),
          weekday: n('weekday', 0),
          retention: n('retention', 7),
        })
        ctx.stdout(`${JSON.stringify(s)}\n`)
        return 0
      }),
  },
  {
    path: ['secret', 'status'],
    usage: 'secret status',
    summary: 'show the master secret key id',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        ctx.stdout(`${JSON.stringify(masterSecretStatus(ctx.config.masterSecretFile, rt.keyring))}\n`)
        return 0
      }),
  },
  {
    path: ['secret', 'export'],
    usage: 'secret export --out FILE   (passphrase on stdin)',
    summary: 'export the master secret wrapped with a passphrase',
    async run(ctx) {
      const out = str(ctx.options.out)
      if (!out) throw new Error('usage: secret export --out FILE')
      const pass = await passphrase(ctx)
      return withRuntime(ctx, async (rt) => {
        writeFileSync(out, await exportMasterSecret(rt.db, CTL, rt.keyring, pass), { mode: 0o600, flag: 'wx' })
        ctx.stderr(`wrote ${out}\n`)
        return 0
      })
    },
  },
  {
    path: ['secret', 'import'],
    usage: 'secret import FILE   (passphrase on stdin)',
    summary: "import another appliance's exported master secret",
    async run(ctx) {
      const file = ctx.args[0]
      if (!file) throw new Error('usage: secret import FILE')
      const pass = await passphrase(ctx)
      return withRuntime(ctx, async (rt) => {
        const r = await importMasterSecret(
          rt.db,
          CTL,
          rt.keyring,
          ctx.config.masterSecretFile,
          readFileSync(file, 'utf8'),
          pass,
        )
        ctx.stdout(`current key ${r.keyId}; keys ${r.keyIds.join(', ')}\nrestart the roles so they load it\n`)
        return 0
      })
    },
  },
  {
    path: ['secret', 'rotate'],
    usage: 'secret rotate',
    summary: 're-encrypt every credential under a new master key',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        const r = await rotateMasterSecret(rt.db, CTL, rt.keyring, ctx.config.masterSecretFile)
        ctx.stdout(`current key ${r.keyId}; ${r.reencrypted} credential(s) re-encrypted; export the new secret now\n`)
        return 0
      }),
  },
  {
    path: ['upgrade', 'verify'],
    usage: 'upgrade verify FILE [--root /]',
    summary: 'check an IMG (signature, files, version order, space) and print its notes',
    async run(ctx) {
      const r = verifyUpgrade({ file: ctx.args[0] ?? '', root: root(ctx) })
      ctx.stdout(`OK: ${r.current} -> ${r.manifest.version}\n\n${r.manifest.notes}\n`)
      return 0
    },
  },
  {
    path: ['upgrade', 'apply'],
    usage: 'upgrade apply FILE [--root /]',
    summary: 'apply an IMG (backup, install, migrate, switch, health check; rolls back on failure)',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        const r = await applyUpgrade({
          file: ctx.args[0] ?? '',
          root: root(ctx),
          databaseUrl: rt.url,
          dataDir: ctx.config.dataDir,
          keyring: rt.keyring,
          actor: CTL,
          progress: progressTo(ctx),
        })
        ctx.stderr('\n')
        ctx.stdout(`upgraded ${r.from} -> ${r.to}; migrations: ${r.migrations.join(', ') || 'none'}\n`)
        return 0
      }),
  },
  {
    path: ['tls', 'status'],
    usage: 'tls status',
    summary: 'show the installed web certificate',
    async run(ctx) {
      ctx.stdout(`${JSON.stringify(describeCertificate(ctx.config.dataDir) ?? null, null, 2)}\n`)
      return 0
    },
  },
  {
    path: ['tls', 'csr'],
    usage: 'tls csr --cn HOST [--san NAME]... [--org O] [--country CC]',
    summary: 'write a certificate request (PEM) to stdout; the key stays here',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        const sans = ctx.options.san === undefined ? [] : ([] as string[]).concat(ctx.options.san as string)
        ctx.stdout(
          await generateCsr(rt.db, CTL, ctx.config.dataDir, {
            commonName: str(ctx.options.cn) ?? '',
            organization: str(ctx.options.org),
            country: str(ctx.options.country),
            sans,
          }),
        )
        return 0
      }),
  },
  {
    path: ['tls', 'install'],
    usage: 'tls install --cert FILE [--chain FILE] [--key FILE] --hostname HOST',
    summary: 'validate and install a certificate',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        const read = (k: string) => (str(ctx.options[k]) ? readFileSync(str(ctx.options[k])!, 'utf8') : undefined)
        const r = await installCertificate(rt.db, CTL, ctx.config.dataDir, {
          certificate: read('cert') ?? '',
          chain: read('chain'),
          privateKey: read('key'),
          hostname: str(ctx.options.hostname) ?? '',
        })
        ctx.stdout(
          `installed ${r.subject}, valid until ${r.validTo}; restart the web roles not started from this console\n`,
        )
        return 0
      }),
  },
  {
    path: ['tls', 'min-version'],
    usage: 'tls min-version TLSv1.2|TLSv1.3',
    summary: "set the web roles' minimum TLS version",
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        const r = await setWebTls(rt.db, CTL, ctx.config.dataDir, { minVersion: (ctx.args[0] ?? '') as 'TLSv1.2' })
        ctx.stdout(`${r.minVersion}\n`)
        return 0
      }),
  },
  {
    path: ['agent', 'show'],
    usage: 'agent show',
    summary: 'show the agent SMB/TLS settings',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        ctx.stdout(`${JSON.stringify(await readAgentSettings(rt.db))}\n`)
        return 0
      }),
  },
  {
    path: ['agent', 'set'],
    usage:
      'agent set [--smb SMB2|SMB1 --confirm-smb1] [--tls-min TLSv1.2|TLSv1.1|TLSv1 --confirm-legacy-tls] [--port N]',
    summary: 'change the agent SMB protocol, minimum TLS version or endpoint port',
    run: (ctx) =>
      withRuntime(ctx, async (rt) => {
        const r = await setAgentSettings(rt.db, CTL, {
          smbProtocol: str(ctx.options.smb) as 'SMB2' | undefined,
          tlsMinVersion: str(ctx.options['tls-min']) as 'TLSv1.2' | undefined,
          port: str(ctx.options.port) ? Number(ctx.options.port) : undefined,
          confirmSmb1: ctx.options['confirm-smb1'] === true,
          confirmLegacyTls: ctx.options['confirm-legacy-tls'] === true,
        })
        ctx.stdout(`${JSON.stringify(r)}\n`)
        return 0
      }),
  },
]

/**
 * `privileged run`: what the root oneshot unit executes (systemd/clawback-privileged.service).
 * Upgrades run as root so the release folder can be written; the restart restarts the role units;
 * host settings are written under /etc and their services restarted.
 */
applianceCommands.push({
  path: ['privileged', 'run'],
  usage: 'privileged run   (root only; started by clawback-privileged.path)',
  summary: 'carry out the console’s queued privileged requests (upgrade apply, restart, host settings)',
  async run(ctx) {
    const { runPrivilegedRequests } = await import('../../ops/privileged-requests.ts')
    const { trackOp } = await import('../../ops/progress.ts')
    const { opsPaths } = await import('../../ops/paths.ts')
    const { execFileSync } = await import('node:child_process')
    const restartUnits = () =>
      execFileSync(
        'systemctl',
        ['restart', 'clawback-api.service', 'clawback-worker.service', 'clawback-console.service'],
        { stdio: 'inherit' },
      )
    const { applyHostSettings, runnerFor } = await import('../../system/apply-host-settings.ts')
    const readyTimeoutS = upgradeReadyTimeoutS(process.env.CLAWBACK_UPGRADE_READY_TIMEOUT_S)
    const outcomes = await runPrivilegedRequests(ctx.config.dataDir, {
      'system-apply': async (r) => {
        await trackOp(ctx.config.dataDir, r.opId, 'system', async (progress) => {
          const result = await applyHostSettings(root(ctx), r.settings, runnerFor(root(ctx)), progress)
          // outside the host's own / (a staging root) the service restarts are reported, not run
          return { ...result, commandsRun: path.resolve(root(ctx)) === '/', requestedBy: r.requestedBy }
        })
      },
      restart: async (r) => {
        await trackOp(ctx.config.dataDir, r.opId, 'restore', async () => {
          restartUnits()
          return { restarted: true }
        })
      },
      'upgrade-apply': async (r) =>
        withRuntime(ctx, async (rt) => {
          await trackOp(ctx.config.dataDir, r.opId, 'upgrade', async (progress) => {
            const result = await applyUpgrade({
              file: path.join(opsPaths(ctx.config.dataDir).staging, r.image),
              root: root(ctx),
              databaseUrl: rt.url,
              dataDir: ctx.config.dataDir,
              keyring: rt.keyring,
              actor: { ...CTL, label: `${r.requestedBy} (privileged helper)` },
              progress,
              healthCheck: async () => {
                restartUnits()
                const deadline = Date.now() + readyTimeoutS * 1000
                while (Date.now() < deadline) {
                  if (await isReady(ctx.config.port, ctx.config.tls)) return
                  await new Promise((res) => setTimeout(res, 1000))
                }
                throw new Error(`the api role did not become ready within ${readyTimeoutS} s`)
              },
              afterRollback: async () => {
                restartUnits()
              },
            })
            return { from: result.from, to: result.to, migrations: result.migrations.length }
          })
        }),
    })
    for (const o of outcomes) ctx.stderr(`${o.file}: ${o.outcome}\n`)
    return outcomes.some((o) => o.outcome !== 'done') ? 1 : 0
  },
})
