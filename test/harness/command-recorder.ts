import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { CommandRunner } from '../../appliance/src/system/apply-host-settings.ts'

/** A root-side command runner that records each call as one line instead of running it. */
export const recorder = () => {
  const calls: string[] = []
  const run: CommandRunner = async (command, args) => {
    calls.push([command, ...args].join(' '))
  }
  return { calls, run }
}

/** A fresh directory under the OS temp dir (a stand-in for `/` or a data dir). */
export const tempRoot = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix))
