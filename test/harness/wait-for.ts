/**
 * Polls `probe` every 200 ms until it answers something truthy, and returns it; throws naming
 * `what` after `ms` (a deadline for slow, loaded machines, not a timing assertion).
 */
export const waitFor = async <T>(
  probe: () => Promise<T | undefined | false>,
  what = 'a condition',
  ms = 120_000,
): Promise<T> => {
  const until = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
