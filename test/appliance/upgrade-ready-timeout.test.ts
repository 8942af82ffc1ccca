import { describe, expect, it } from 'vitest'
import { upgradeReadyTimeoutS } from '../../appliance/src/cli/commands/appliance-commands.ts'

describe("the root helper's readiness wait after an upgrade", () => {
  it('is 60 s unless CLAWBACK_UPGRADE_READY_TIMEOUT_S says otherwise (the boot test sets 900)', () => {
    expect(upgradeReadyTimeoutS(undefined)).toBe(60)
    expect(upgradeReadyTimeoutS('')).toBe(60)
    expect(upgradeReadyTimeoutS('900')).toBe(900)
  })
  it('refuses a value that is not a whole number of 1..86400 seconds, naming the variable', () => {
    for (const bad of ['0', '-5', '1.5', '10s', '86401', ' 60'])
      expect(() => upgradeReadyTimeoutS(bad)).toThrow(/^CLAWBACK_UPGRADE_READY_TIMEOUT_S: /)
  })
})
