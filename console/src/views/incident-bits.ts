import { html } from 'hono/html'

/** Small shared pieces of the incident pages: state and severity badges. */
export const stateBadge = (state: string) => html`<span class="badge state-${state}">${state}</span>`

const SEVERITY_CLASS: Record<string, string> = {
  critical: 'sev-critical',
  high: 'sev-high',
  major: 'sev-high',
  medium: 'sev-medium',
  low: 'sev-low',
  minor: 'sev-low',
}
export const severityBadge = (severity: string) =>
  html`<span class="badge ${SEVERITY_CLASS[severity.toLowerCase()] ?? 'sev-info'}">${severity}</span>`

export const SEVERITIES = ['Informational', 'Low', 'Medium', 'High', 'Critical']
