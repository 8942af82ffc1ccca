/** What a connector can say went wrong; the job layer maps kinds to retry or dead-letter. */
export type ConnectorErrorKind = 'auth' | 'rejected' | 'not_found' | 'rate_limited' | 'unavailable'

export class ConnectorError extends Error {
  readonly kind: ConnectorErrorKind
  readonly retryAfterMs?: number

  constructor(kind: ConnectorErrorKind, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, { cause: options?.cause })
    this.name = 'ConnectorError'
    this.kind = kind
    this.retryAfterMs = options?.retryAfterMs
  }
}
