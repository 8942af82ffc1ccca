import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'console/**/*.test.ts', 'appliance/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/bench/**'],
    globalSetup: ['test/harness/global-setup.ts'],
    // every worker: sockets and DNS look-ups beyond loopback throw (the network rule, checked)
    setupFiles: ['test/harness/loopback-only.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits for what a page or a process shows next; 1 s (the default) is too short on a
    // loaded 2-core machine. Still a bound: a result that never comes fails.
    expect: { poll: { timeout: 15_000 } },
    reporters: ['default', 'json'],
    outputFile: { json: 'test/artifacts/vitest.json' },
  },
})
