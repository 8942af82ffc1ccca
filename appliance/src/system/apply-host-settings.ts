import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { HOST_FILES, type HostFile, readHostFile, renderHostFiles } from './host-files.ts'
import { type HostSettings, parseHostSettings } from './host-settings.ts'

/** Runs one system command (root side); throws when it fails. Tests pass one that records calls. */
export type CommandRunner = (command: string, args: string[]) => Promise<void>

/** The real runner: the appliance's hostnamectl/systemctl, 60 s each, output kept for the error. */
export const execRunner: CommandRunner = async (command, args) => {
  try {
    await promisify(execFile)(command, args, { timeout: 60_000 })
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${command} ${args.join(' ')} failed: ${(e.stderr || e.message).trim().split('\n')[0]}`)
  }
}

/**
 * The runner for files written under `root`: the real one when that is the host's own /etc; with
 * any other root (a staging tree, tests) restarting the host's services would apply nothing, so
 * the commands are only reported, never run.
 */
export const runnerFor = (root: string): CommandRunner => (path.resolve(root) === '/' ? execRunner : async () => {})

/** Files directly in /etc: the helper's sandbox may write these files, not the directory. */
const IN_PLACE: ReadonlySet<HostFile> = new Set(['hostname', 'hosts'])

/**
 * Writes one file. Files in Clawback's own drop-in directories go to a temporary file renamed over
 * the old one (readers never see half a file). /etc/hostname and /etc/hosts are rewritten in place
 * with one write: renaming into /etc would need all of /etc writable in the helper's sandbox
 * (systemd/clawback-privileged.service lists only these two files and the drop-in directories).
 */
const writeHostFile = (f: HostFile, file: string, text: string) => {
  if (!existsSync(path.dirname(file))) mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 })
  if (IN_PLACE.has(f)) return writeFileSync(file, text, { mode: 0o644 })
  const tmp = `${file}.clawback-tmp`
  writeFileSync(tmp, text, { mode: 0o644 })
  // world-readable whatever the caller's umask (first boot runs under 077): networkd, timesyncd
  // and rsyslog read these as their own users
  chmodSync(tmp, 0o644)
  renameSync(tmp, file)
}

/**
 * Root side of `system-apply`: validates the settings again, writes the standard Debian files under
 * `root` (only those whose content changes; each atomically), then makes the affected services
 * pick them up — host name, time sync, syslog, and the network last, because restarting networkd
 * may briefly drop the console's connection. Returns the changed files and the commands run.
 * @throws INVALID_REQUEST for invalid settings (nothing written), or the first failing command.
 */
export const applyHostSettings = async (
  root: string,
  input: unknown,
  run: CommandRunner,
  progress: (step: string, percent: number) => void = () => {},
) => {
  const settings: HostSettings = parseHostSettings(input)
  const wanted = renderHostFiles(settings, readHostFile(root, 'hosts'))
  const changed = (Object.keys(HOST_FILES) as HostFile[]).filter((f) => readHostFile(root, f) !== wanted[f])
  progress('writing configuration files', 10)
  for (const f of changed) {
    const file = path.join(root, HOST_FILES[f])
    const text = wanted[f]
    if (text === undefined) rmSync(file, { force: true })
    else writeHostFile(f, file, text)
  }
  const commands: [string, ...string[]][] = []
  if (changed.includes('hostname')) commands.push(['hostnamectl', 'set-hostname', settings.hostname])
  if (changed.includes('timesyncd')) commands.push(['systemctl', 'restart', 'systemd-timesyncd.service'])
  if (changed.includes('rsyslog')) commands.push(['systemctl', 'restart', 'rsyslog.service'])
  if (changed.includes('network')) commands.push(['systemctl', 'restart', 'systemd-networkd.service'])
  for (const [i, [command, ...args]] of commands.entries()) {
    progress(`${command} ${args.join(' ')}`, 20 + (70 * i) / commands.length)
    await run(command, args)
  }
  return { changed: changed.map((f) => HOST_FILES[f]), commands: commands.map((c) => c.join(' ')) }
}
