import { afterAll, beforeAll, expect, it } from 'vitest'
import { newMasterKey } from '../../core/src/crypto/master-secret.ts'
import { createConnector } from '../../core/src/domain/connectors/create-connector.ts'
import { routeMailboxes } from '../../core/src/domain/quarantine/route-mailboxes.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { createTestDb, type TestDb } from '../harness/db.ts'

let t: TestDb
beforeAll(async () => {
  t = await createTestDb()
})
afterAll(() => t.drop())

it('routes each mailbox to the mail connector of its domain with all four kinds enabled (ews and gmail keep domains as one comma-separated string)', async () => {
  const key = newMasterKey()
  const keyring = { current: key, keys: new Map([[key.id, key]]) }
  const make = (kind: string, name: string, settings: object, secret: string) =>
    createConnector(t.db, keyring, SYSTEM, { kind, name, settings, secrets: { [secret]: 'x'.repeat(16) } })
  const imap = await make(
    'imap',
    'dovecot',
    { host: '127.0.0.1', masterUser: 'clawback', domains: ['Lab.Example'] },
    'masterPassword',
  )
  const graph = await make(
    'msgraph',
    'm365',
    { tenantId: 'contoso.onmicrosoft.com', clientId: '00000000-0000-0000-0000-000000000001', domains: ['contoso.com'] },
    'clientSecret',
  )
  const gmail = await make(
    'gmail',
    'workspace',
    {
      clientEmail: 'clawback@project.iam.gserviceaccount.com',
      adminSubject: 'admin@fabrikam.com',
      domains: 'fabrikam.com, Fabrikam.org',
    },
    'privateKey',
  )
  const ews = await make(
    'ews',
    'exchange',
    {
      url: 'https://mail.tailspin.test/EWS/Exchange.asmx',
      username: 'svc-clawback',
      testMailbox: 'probe@tailspin.test',
      domains: 'tailspin.test,wingtip.test',
    },
    'password',
  )
  const { connectorFor, isInternal } = await routeMailboxes(t.db)
  expect(connectorFor('ann@lab.example')).toBe(imap.id)
  expect(connectorFor('bob@CONTOSO.com')).toBe(graph.id)
  expect(connectorFor('cy@fabrikam.com')).toBe(gmail.id)
  expect(connectorFor('di@fabrikam.org')).toBe(gmail.id)
  expect(connectorFor('ed@tailspin.test')).toBe(ews.id)
  expect(connectorFor('fay@wingtip.test')).toBe(ews.id)
  expect(connectorFor('gus@elsewhere.example')).toBeUndefined()
  expect(isInternal('gus@elsewhere.example')).toBe(false)
})
