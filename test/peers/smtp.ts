import type { AddressInfo } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export type SmtpPeer = {
  port: number
  /** every message accepted, parsed, with the envelope the client gave */
  messages: { envelopeTo: string[]; mail: ParsedMail }[]
  close(): Promise<void>
}

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1: optional AUTH (PLAIN/LOGIN) with
 * one user, and per-recipient refusals (550) for the addresses in `reject`.
 */
export const startSmtpPeer = async (opts: { user?: { name: string; password: string }; reject?: string[] } = {}) => {
  const messages: SmtpPeer['messages'] = []
  const server = new SMTPServer({
    disabledCommands: opts.user ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !opts.user,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user?.name && auth.password === opts.user?.password)
        return cb(null, { user: auth.username })
      cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }))
    },
    onRcptTo(address, _session, cb) {
      if (opts.reject?.includes(address.address.toLowerCase()))
        return cb(Object.assign(new Error(`<${address.address}>: mailbox unavailable`), { responseCode: 550 }))
      cb()
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((mail) => {
          messages.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail })
          cb()
        })
        .catch(cb)
    },
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.server.address() as AddressInfo).port
  return { port, messages, close: () => new Promise<void>((r) => server.close(() => r())) } satisfies SmtpPeer
}
