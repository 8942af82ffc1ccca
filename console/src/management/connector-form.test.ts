import { describe, expect, it } from 'vitest'
import { manifest as msgraph } from '../../../core/src/connectors/msgraph/manifest.ts'
import { connectorFields, connectorInputFrom } from './connector-form.ts'

describe('connector form', () => {
  it('edits a list setting (msgraph accepted domains) as one comma-separated field, both ways', () => {
    const form = {
      's.tenantId': ['contoso-tenant'],
      's.clientId': ['11111111-2222-3333-4444-555555555555'],
      's.domains': ['contoso.example, fabrikam.example\nnorthwind.example'],
      'secret.clientSecret': ['s3cret'],
    }
    const { settings, secrets } = connectorInputFrom(msgraph, form)
    expect(settings.domains).toEqual(['contoso.example', 'fabrikam.example', 'northwind.example'])
    expect(msgraph.settings.parse(settings).domains).toHaveLength(3)
    expect(secrets).toEqual({ clientSecret: 's3cret' })
    const rendered = String(connectorFields(msgraph, { domains: ['a.example', 'b.example'] }, []))
    expect(rendered).toContain('name="s.domains" type="text" value="a.example, b.example"')
  })
})
