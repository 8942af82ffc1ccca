import { z } from 'zod'
import type { ResponseType } from '../response-type.ts'

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i
const ZAnalysis = z.strictObject({
  /** the organisation's own and partner domains that lookalikes imitate */
  protectedDomains: z
    .array(z.string().trim().toLowerCase().regex(DOMAIN, 'expected a domain name'))
    .max(200)
    .default([]),
  /** names of the lists whose members mark a message as bad (block lists); empty → every list */
  lists: z.array(z.string().min(1).max(200)).max(50).default([]),
})

/**
 * Runs the built-in message analysis on the incident's reported original (domain/analysis) and
 * stores the score, disposition and reasons on the incident; the Abuse Disposition it sets is in
 * the disposition history and re-runs the match conditions (a "malicious" verdict can pull mail).
 */
export const submitForAnalysis: ResponseType<z.infer<typeof ZAnalysis>> = {
  type: 'analysis.submit',
  title: 'Submit for analysis',
  params: ZAnalysis,
  targets: () => [''],
  async run(p, _t, ctx) {
    // Loaded on first use: mailparser, mailauth and msgreader cost seconds of start-up otherwise.
    const { analyzeIncident } = await import('../../analysis/analyze-incident.ts')
    const f = await analyzeIncident(ctx.db, {
      actor: ctx.actor,
      incidentId: ctx.incidentId,
      dataDir: ctx.dataDir,
      protectedDomains: p.protectedDomains,
      lists: p.lists,
      runId: ctx.runId,
    })
    return {
      status: 'succeeded',
      details: {
        score: f.score,
        disposition: f.disposition,
        setDisposition: f.setDisposition,
        reasons: f.reasons.length,
      },
    }
  },
}
