import { describe, expect, it } from 'vitest'
import { createLogger, recentErrors } from './log.ts'

describe('recent errors', () => {
  it('keeps the last errors of the process with their request id, never query parameters', () => {
    const sink = { write: () => {} }
    const log = createLogger('error', sink).child({ requestId: 'req-123' })
    log.info('not an error')
    const err = new Error('Failed query: select * from users where password = $1\nparams: hunter2')
    log.error({ err }, 'unhandled error')
    const [last] = recentErrors()
    expect(last).toMatchObject({ level: 'error', message: 'unhandled error', requestId: 'req-123' })
    expect(last!.error).toBe('Error: Failed query: select * from users where password = $1')
    expect(JSON.stringify(recentErrors())).not.toContain('hunter2')
    for (let i = 0; i < 60; i++) log.error(`e${i}`)
    expect(recentErrors()).toHaveLength(50)
    expect(recentErrors()[0]!.message).toBe('e59')
  })
})
