import { createTransport } from 'nodemailer'
import type { z } from 'zod'
import { ConnectorError } from '../errors.ts'
import type { CallContext, Connector, MailReceipt, NotifyEmail, OutboundMail } from '../types.ts'
import { manifest, type ZSmtpSettings } from './manifest.ts'

type SmtpError = Error & { code?: string; responseCode?: number; response?: string; rejectedErrors?: SmtpError[] }

/** Maps nodemailer's error codes onto the connector error kinds (4xx replies are temporary). */
const toConnectorError = (err: SmtpError): ConnectorError => {
  const detail = `smtp: ${err.response ?? err.message}`.slice(0, 500)
  if (err.code === 'EAUTH') return new ConnectorError('auth', detail, { cause: err })
  if (err.responseCode && err.responseCode >= 400 && err.responseCode < 500)
    return new ConnectorError('unavailable', detail, { cause: err })
  if (err.code === 'EENVELOPE' || err.code === 'EMESSAGE' || (err.responseCode ?? 0) >= 500)
    return new ConnectorError('rejected', detail, { cause: err })
  return new ConnectorError('unavailable', detail, { cause: err })
}

export class SmtpConnector implements Connector, NotifyEmail {
  readonly manifest = manifest
  readonly #settings: z.infer<typeof ZSmtpSettings>
  readonly #password: string | undefined

  constructor(settings: z.infer<typeof ZSmtpSettings>, secrets: Record<string, string>) {
    this.#settings = settings
    this.#password = secrets.password
  }

  /** One transport per call: connects to the address the egress policy allowed, TLS checked against the name. */
  async #transport(ctx: CallContext) {
    const s = this.#settings
    const { address } = await ctx.resolve(s.host)
    const ms = s.timeoutSeconds * 1000
    const transport = createTransport({
      host: address,
      port: s.port,
      secure: s.security === 'tls',
      requireTLS: s.security === 'starttls',
      ignoreTLS: s.security === 'none',
      tls: { servername: s.host, rejectUnauthorized: s.verifyCertificate },
      auth: s.username ? { user: s.username, pass: this.#password ?? '' } : undefined,
      connectionTimeout: ms,
      greetingTimeout: ms,
      socketTimeout: ms,
    })
    const abort = () => transport.close()
    ctx.signal.addEventListener('abort', abort, { once: true })
    const done = () => {
      ctx.signal.removeEventListener('abort', abort)
      transport.close()
    }
    return { transport, done }
  }

  /**
   * Hands the message to the relay. Recipients the relay refused while accepting others come back
   * in `rejected` (a partial failure the caller records); if it refuses every one, this throws.
   * @throws ConnectorError auth / rejected (5xx, all recipients refused) / unavailable (4xx, network)
   */
  async sendMail(mail: OutboundMail, ctx: CallContext): Promise<MailReceipt> {
    const { transport, done } = await this.#transport(ctx)
    try {
      const info = await transport.sendMail({
        from: mail.from ?? this.#settings.from,
        to: mail.to,
        cc: mail.cc,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
        headers: mail.headers,
      })
      const rejectedErrors = (info as { rejectedErrors?: SmtpError[] }).rejectedErrors ?? []
      return {
        accepted: (info.accepted as string[]).map(String),
        rejected: (info.rejected as string[]).map((address, i) => ({
          address: String(address),
          response: rejectedErrors[i]?.response ?? 'rejected',
        })),
        response: String(info.response ?? ''),
      }
    } catch (err) {
      if (ctx.signal.aborted) throw new ConnectorError('unavailable', 'smtp: aborted', { cause: err })
      throw toConnectorError(err as SmtpError)
    } finally {
      done()
    }
  }

  async test(ctx: CallContext) {
    const { transport, done } = await this.#transport(ctx)
    try {
      await transport.verify()
      return {
        message: `${this.#settings.host}:${this.#settings.port} accepted the connection${this.#settings.username ? ' and the login' : ''}`,
      }
    } catch (err) {
      throw toConnectorError(err as SmtpError)
    } finally {
      done()
    }
  }
}
