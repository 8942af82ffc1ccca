import type { AddressInfo } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export type SmtpPeer = {
  port: number
  /** every message accepted, parsed, with the envelope the client gave */
  messages: { envelopeTo: string[]; mail: ParsedMail }[]
  /** with `holdReply`: lets the held final replies (250) go and stops holding */
  release(): void
  close(): Promise<void>
}

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1: optional AUTH (PLAIN/LOGIN) with
 * one user, and per-recipient refusals (550) for the addresses in `reject`. With `holdReply` it
 * takes responsibility for a message once its data ended (the message is delivered) but holds the
 * final 250 until `release()` — the window of RFC 1047 in which a client that dies has sent a
 * message it never learns was accepted.
 */
export const startSmtpPeer = async (
  opts: { user?: { name: string; password: string }; reject?: string[]; holdReply?: boolean } = {},
) => {
  const messages: SmtpPeer['messages'] = []
  const held: (() => void)[] = []
  let holding = opts.holdReply ?? false
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
          if (holding) held.push(() => cb())
          else cb()
        })
        .catch(cb)
    },
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.server.address() as AddressInfo).port
  const release = () => {
    holding = false
    for (const reply of held.splice(0)) reply()
  }
  const close = () => {
    release()
    return new Promise<void>((r) => server.close(() => r()))
  }
  return { port, messages, release, close } satisfies SmtpPeer
}
