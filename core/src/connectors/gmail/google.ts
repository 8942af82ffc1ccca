/**
 * Everything gmail needs from Google's libraries, loaded on first use (client.ts imports this
 * dynamically): @googleapis/* and google-auth-library take seconds to load on a busy appliance, and
 * every process that registers connectors (api, worker, clawbackctl) would pay that at start.
 */
export { admin } from '@googleapis/admin'
export { GmailMailbox, HEADERS, header, KEPT_LABELS } from './mailbox.ts'
export { openGmailMailbox } from './mailbox-reader.ts'
export { delegatedClient, toConnectorError } from './transport.ts'
