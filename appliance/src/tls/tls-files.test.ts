import { spawn } from 'node:child_process'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { ensureSelfSigned, tlsFiles } from './tls-files.ts'

const dataDir = mkdtempSync(path.join(tmpdir(), 'tls-files-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

it('roles starting together make one self-signed pair: the key matches the certificate', async () => {
  // four processes at once, as the api and console roles of a fresh appliance (and their restarts)
  const made = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Promise<string>((resolve, reject) => {
          const p = spawn(
            process.execPath,
            [
              '--input-type=module',
              '-e',
              `const { ensureSelfSigned } = await import(${JSON.stringify(path.join(import.meta.dirname, 'tls-files.ts'))}); process.stdout.write(String(ensureSelfSigned(process.argv[1]).created))`,
              dataDir,
            ],
            { stdio: ['ignore', 'pipe', 'inherit'] },
          )
          let out = ''
          p.stdout.on('data', (d) => {
            out += d
          })
          p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))))
        }),
    ),
  )
  expect(made.filter((m) => m === 'true')).toHaveLength(1)
  const f = tlsFiles(dataDir)
  const cert = new X509Certificate(readFileSync(f.cert))
  expect(cert.checkPrivateKey(createPrivateKey(readFileSync(f.key)))).toBe(true)
  expect(readdirSync(f.dir).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock'))).toEqual([])
  expect(ensureSelfSigned(dataDir).created).toBe(false)
  expect(existsSync(f.key)).toBe(true)
}, 120_000)
