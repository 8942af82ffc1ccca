import { XMLParser } from 'fast-xml-parser'
import { ConnectorError } from '../errors.ts'
import type { CallContext } from '../types.ts'
import type { TEwsSettings } from './manifest.ts'

/** XML text escaping for element content and attribute values. */
export const x = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => /ResponseMessage$|^(Message|Folder|Mailbox|Value|ItemId)$/.test(name),
})

// biome-ignore lint/suspicious/noExplicitAny: parsed SOAP is walked by element name
export type Node = any

/** One response message of an EWS answer: its class, code, text and (for ErrorServerBusy) the back-off. */
export type EwsMessage = Node & { '@ResponseClass': 'Success' | 'Warning' | 'Error'; ResponseCode: string }

const backOffOf = (node: Node): number | undefined => {
  const values: Node[] = node?.MessageXml?.Value ?? []
  const v = values.find((e) => e['@Name'] === 'BackOffMilliseconds')
  return v ? Number(v['#text']) : undefined
}

const textOf = (v: Node): string => (v && typeof v === 'object' ? String(v['#text'] ?? '') : String(v ?? ''))

const PERMISSION = new Set(['ErrorImpersonateUserDenied', 'ErrorImpersonationDenied', 'ErrorAccessDenied'])
const NOT_FOUND = new Set([
  'ErrorNonExistentMailbox',
  'ErrorItemNotFound',
  'ErrorFolderNotFound',
  'ErrorInvalidSmtpAddress',
])
const UNAVAILABLE = new Set([
  'ErrorInternalServerError',
  'ErrorInternalServerTransientError',
  'ErrorMailboxStoreUnavailable',
  'ErrorMailboxMoveInProgress',
  'ErrorTimeoutExpired',
  'ErrorConnectionFailed',
])

/**
 * The ConnectorError an EWS response code means (https://learn.microsoft.com/exchange/client-developer/web-service-reference/responsecode):
 * ErrorServerBusy → rate_limited after BackOffMilliseconds; an unknown mailbox or item → not_found;
 * a mailbox the access mode does not reach → rejected (per mailbox: a scoped role or a missing
 * FullAccess grant is about that mailbox, not the credentials); store trouble → unavailable.
 */
export const ewsError = (code: string, text: string, backOffMs?: number) => {
  const detail = `ews: ${code}${text ? `: ${text}` : ''}`
  if (code === 'ErrorServerBusy') return new ConnectorError('rate_limited', detail, { retryAfterMs: backOffMs ?? 1000 })
  if (NOT_FOUND.has(code)) return new ConnectorError('not_found', detail)
  if (PERMISSION.has(code)) return new ConnectorError('rejected', detail)
  if (UNAVAILABLE.has(code)) return new ConnectorError('unavailable', detail)
  return new ConnectorError('rejected', detail)
}

export const messageError = (m: EwsMessage) => ewsError(textOf(m.ResponseCode), textOf(m.MessageText), backOffOf(m))

/**
 * EWS SOAP over `ctx.http` with Basic authentication: one envelope per call, impersonating the
 * mailbox (ExchangeImpersonation) in impersonation mode, at most `maxConcurrency` requests in
 * flight per instance, and no request at all while the server's last ErrorServerBusy back-off runs
 * (Exchange's budget is per account, so every mailbox waits): such calls are answered rate_limited.
 */
export class EwsSoap {
  readonly #settings: TEwsSettings
  readonly #authorization: string
  #inFlight = 0
  readonly #waiting: (() => void)[] = []
  #backOffUntil = 0

  constructor(settings: TEwsSettings, password: string) {
    this.#settings = settings
    this.#authorization = `Basic ${Buffer.from(`${settings.username}:${password}`).toString('base64')}`
  }

  /** Sends `body` (one EWS operation) as or for `mailbox`; answers the operation's response messages. @throws ConnectorError */
  async call(ctx: CallContext, operation: string, body: string, mailbox?: string): Promise<EwsMessage[]> {
    const wait = this.#backOffUntil - Date.now()
    if (wait > 0)
      throw new ConnectorError('rate_limited', 'ews: ErrorServerBusy back-off running', { retryAfterMs: wait })
    const impersonate =
      mailbox && this.#settings.accessMode === 'impersonation'
        ? `<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>${x(mailbox)}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`
        : ''
    const envelope =
      '<?xml version="1.0" encoding="utf-8"?>' +
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" ' +
      'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" ' +
      'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">' +
      `<soap:Header><t:RequestServerVersion Version="${this.#settings.exchangeVersion}"/>${impersonate}</soap:Header>` +
      `<soap:Body>${body}</soap:Body></soap:Envelope>`
    await this.#slot()
    let res: Awaited<ReturnType<CallContext['http']['request']>>
    try {
      res = await ctx.http.request(this.#settings.url, {
        method: 'POST',
        headers: {
          authorization: this.#authorization,
          'content-type': 'text/xml; charset=utf-8',
          ...(mailbox ? { 'x-anchormailbox': mailbox } : {}),
        },
        body: envelope,
        signal: ctx.signal,
      })
    } finally {
      this.#release()
    }
    if (res.status === 401)
      throw new ConnectorError('auth', 'ews: HTTP 401: the service account credentials were refused')
    const type = res.headers['content-type'] ?? ''
    if (!/xml/.test(type)) {
      throw new ConnectorError(
        res.status >= 500 || res.status === 429 ? 'unavailable' : 'rejected',
        `ews: HTTP ${res.status}`,
      )
    }
    const doc: Node = parser.parse(res.text())
    const fault = doc?.Envelope?.Body?.Fault
    if (fault) {
      const d = fault.detail ?? {}
      const code = textOf(d.ResponseCode) || textOf(fault.faultcode).replace(/^.*:/, '') || 'Fault'
      const err = ewsError(code, textOf(d.Message) || textOf(fault.faultstring), backOffOf(d))
      if (err.kind === 'rate_limited') this.#backOffUntil = Date.now() + (err.retryAfterMs ?? 0)
      throw err
    }
    const response = doc?.Envelope?.Body?.[`${operation}Response`]
    if (!response) throw new ConnectorError('unavailable', `ews: HTTP ${res.status} without a ${operation}Response`)
    const messages: EwsMessage[] = response.ResponseMessages?.[`${operation}ResponseMessage`] ?? []
    for (const m of messages)
      if (m.ResponseCode === 'ErrorServerBusy') this.#backOffUntil = Date.now() + (backOffOf(m) ?? 1000)
    return messages
  }

  async #slot() {
    if (this.#inFlight < this.#settings.maxConcurrency) {
      this.#inFlight++
      return
    }
    await new Promise<void>((r) => this.#waiting.push(r))
  }

  #release() {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#inFlight--
  }
}

/** The first message, which must be a success. @throws ConnectorError from its code */
export const single = (messages: EwsMessage[]): EwsMessage => {
  const m = messages[0]
  if (!m) throw new ConnectorError('unavailable', 'ews: an empty answer')
  if (m['@ResponseClass'] === 'Error') throw messageError(m)
  return m
}
