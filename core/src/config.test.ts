import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, describeConfig, loadConfig } from './config.ts'

const base = { CLAWBACK_CONFIG: '/dev/null' }

describe('configuration', () => {
  it('has working defaults for a checkout', () => {
    const c = loadConfig(base)
    expect(c.port).toBe(8080)
    expect(c.consolePort).toBe(8081)
    expect([...c.roles]).toEqual(['api', 'worker', 'console'])
    expect(c.dataDir).toBe(path.resolve('./var'))
    expect(c.databaseUrl).toBeUndefined()
  })

  it('reports every problem at once', () => {
    try {
      loadConfig({
        ...base,
        PORT: 'eighty',
        CONSOLE_PORT: '70000',
        CLAWBACK_ROLES: 'api,cron',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
      })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const problems = (err as ConfigError).problems.join('\n')
      for (const key of ['PORT:', 'CONSOLE_PORT:', 'CLAWBACK_ROLES:', 'LOG_LEVEL:', 'DATABASE_URL:'])
        expect(problems).toContain(key)
      expect((err as ConfigError).problems.length).toBeGreaterThanOrEqual(5)
    }
  })

  it('reads a config file, rejects unknown keys in it, and supports *_FILE secrets', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'))
    const pw = path.join(dir, 'db-url')
    writeFileSync(pw, 'postgres://app:s3cret@db.internal:5432/clawback\n')
    const file = path.join(dir, 'clawback.conf')
    writeFileSync(file, `# comment\nPORT=9090\nDATABASE_URL_FILE=${pw}\n`)
    const c = loadConfig({ CLAWBACK_CONFIG: file })
    expect(c.port).toBe(9090)
    expect(c.databaseUrl).toBe('postgres://app:s3cret@db.internal:5432/clawback')
    writeFileSync(file, 'PORTT=1\n')
    expect(() => loadConfig({ CLAWBACK_CONFIG: file })).toThrow(/unknown setting PORTT/)
  })

  it('environment wins over the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'))
    const file = path.join(dir, 'clawback.conf')
    writeFileSync(file, 'PORT=9090\n')
    expect(loadConfig({ CLAWBACK_CONFIG: file, PORT: '9191' }).port).toBe(9191)
  })

  it('redacts secrets when dumped', () => {
    const dump = describeConfig(loadConfig({ ...base, DATABASE_URL: 'postgres://app:s3cret@127.0.0.1/clawback' }))
    expect(JSON.stringify(dump)).not.toContain('s3cret')
    expect(dump.DATABASE_URL).toBe('postgres://app:***@127.0.0.1/clawback')
  })

  it('parses sizes with units', () => {
    expect(loadConfig({ ...base, CLAWBACK_MAX_BODY_BYTES: '2MiB' }).maxBodyBytes).toBe(2 * 1024 * 1024)
    expect(() => loadConfig({ ...base, CLAWBACK_MAX_BODY_BYTES: 'lots' })).toThrow(/CLAWBACK_MAX_BODY_BYTES/)
  })
})
