import type { ReportedOriginal } from '../reports/report-types.ts'

/** The verdicts of the analysis, worst first. */
export const DISPOSITIONS = ['malicious', 'suspicious', 'spam', 'bulk', 'clean'] as const
export type Disposition = (typeof DISPOSITIONS)[number]

/** One finding: the rule that fired, its points and what it saw (values from the message, to be escaped). */
export type Reason = { rule: string; points: number; detail: string }

export type Analysis = { score: number; disposition: Disposition; reasons: Reason[] }

/** Our own DKIM verification of one signature (only for an intact original). */
export type DkimCheck = { domain: string; selector: string; result: string; info: string }

/** A list member the original matched (sender, sender domain, URL, URL host or attachment hash). */
export type ListHit = { list: string; type: string; value: string }

/** What the rules need besides the message: everything here is looked up before (gather-analysis-context). */
export type AnalysisContext = {
  /** our own DKIM checks; undefined when the original is not intact (nothing to verify) */
  dkim?: DkimCheck[]
  protectedDomains: string[]
  /** the sender domain appeared in an earlier alert */
  isSenderDomainKnown: boolean
  listHits: ListHit[]
}

export type AnalysedMessage = Pick<
  ReportedOriginal,
  | 'sender'
  | 'senderName'
  | 'replyTo'
  | 'returnPath'
  | 'authenticationResults'
  | 'urls'
  | 'attachments'
  | 'bulkHeaders'
  | 'isIntact'
>

/** Where analysis results live: enrichment_findings rows of this source and kind. */
export const ANALYSIS_SOURCE = 'analysis'
export const ANALYSIS_KIND = 'message_verdict'

/** The Abuse Disposition (API-COMPAT) each verdict sets; "clean" is the incumbent's Low Risk. */
export const ABUSE_DISPOSITION_OF: Record<Disposition, string> = {
  malicious: 'Malicious',
  suspicious: 'Suspicious',
  spam: 'Spam',
  bulk: 'Bulk',
  clean: 'Low Risk',
}

export type AnalysisFinding = Analysis & {
  runId: number | null
  alertId: number
  format: ReportedOriginal['format']
  originalSha256: string
  subject: string
  sender: string | null
  messageId: string | null
  /** the Abuse Disposition the verdict set, or null when an analyst's value was kept */
  setDisposition: string | null
}
