import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'

const SUMMARIES: Record<string, string> = {
  'GET /api/v1/sources': 'List alert sources',
  'POST /api/v1/sources': 'Create a source (json: answer carries the POST URL with its token; csv)',
  'GET /api/v1/sources/{id}': 'One source; with_url=true adds its POST URL (sources.write)',
  'PATCH /api/v1/sources/{id}': 'Edit, enable/disable a source, set linking rules, rotate the token',
  'POST /api/v1/sources/{id}/uploads':
    'Upload a CSV of message-id, recipient pairs (all or nothing; per-row report on 400)',
  'GET /api/v1/incidents':
    'List incidents: state, created_from/to, closed_from/to, severity, source_id, team_id, assignee_id, abuse_disposition, classification, q; sort (created, updated, closed, id, score, severity) and order (desc, asc); keyset paging (cursor); counts per state',
  'GET /api/v1/incidents/{id}': 'One incident (compatible shape; expand_events=false gives event_ids)',
  'GET /api/v1/incidents/{id}/activity': 'History (every change, comments included) and attachments of an incident',
  'PATCH /api/v1/incidents/{id}': 'Edit fields, team/assignee, description, users, private flag',
  'POST /api/v1/incidents/{id}/comments': 'Comment on an incident',
  'POST /api/v1/incidents/{id}/close': 'Close an incident',
  'POST /api/v1/incidents/close': 'Close several incidents',
  'POST /api/v1/incidents/{id}/reopen': 'Reopen a closed or ignored incident',
  'POST /api/v1/incidents/{id}/ignore': 'Ignore an incident',
  'POST /api/v1/incidents/{id}/attachments': 'Attach a file (multipart field "file")',
  'GET /api/v1/attachments/{id}': 'Download an attachment',
  'GET /api/v1/alerts/{id}/download_original_msg': 'Download the original message (.eml, message/rfc822)',
  'GET /api/v1/incident-fields': 'Incident field definitions (built-in and custom)',
  'POST /api/v1/incident-fields': 'Define a custom incident field (fields.manage)',
  'GET /api/v1/investigations': 'List investigations',
  'POST /api/v1/investigations': 'Create an investigation',
  'GET /api/v1/investigations/{id}': 'One investigation with incidents, history, attachments',
  'PATCH /api/v1/investigations/{id}': 'Edit or close an investigation',
  'POST /api/v1/investigations/{id}/incidents': 'Link an incident',
  'DELETE /api/v1/investigations/{id}/incidents/{incidentId}': 'Unlink an incident',
  'POST /api/v1/investigations/{id}/comments': 'Comment on an investigation',
  'POST /api/v1/investigations/{id}/attachments': 'Attach a file to an investigation',
  'GET /api/v1/lists': 'List block lists',
  'POST /api/v1/lists': 'Create a typed list (answer carries its feed URL)',
  'GET /api/v1/lists/{id}': 'One list; with_feed_url=true adds the feed URL (lists.write)',
  'GET /api/v1/lists/{id}/members': 'Unexpired members',
  'POST /api/v1/lists/{id}/members': 'Add a member (validated per list type; idempotent by value)',
  'GET /api/v1/lists/{id}/members/{memberId}': 'One member',
  'PATCH /api/v1/lists/{id}/members/{memberId}': 'Edit a member',
  'DELETE /api/v1/lists/{id}/members/{memberId}': 'Remove a member',
}

type RouteLike = { method: string; path: string; handler: unknown }

/** Builds the OpenAPI 3.1 document from the live route table, so every native route is described. */
export const buildOpenApi = (routes: RouteLike[]) => {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const r of routes) {
    if (r.method === 'ALL' || !r.path.startsWith('/api/v1/')) continue
    const access = (r.handler as { access?: { auth: string; permission?: string } }).access
    if (!access) continue
    const path = r.path.replace(/:([A-Za-z_]+)/g, '{$1}')
    const params = [...path.matchAll(/\{([A-Za-z_]+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }))
    const method = r.method.toLowerCase()
    paths[path] ??= {}
    paths[path][method] = {
      summary: SUMMARIES[`${r.method} ${path}`] ?? `${r.method} ${path}`,
      parameters: params,
      security: access.auth === 'actor' ? [{ apiKey: [] }, { session: [] }] : [],
      ...(access.auth === 'actor' && access.permission ? { 'x-permission': access.permission } : {}),
      responses: {
        '200': { description: 'OK (JSON)' },
        '400': { description: 'Invalid request; error.message names the field' },
        '401': { description: 'No or invalid API key' },
        '403': { description: 'Missing permission' },
        '404': { description: 'Not found (also: private to a team you are not in)' },
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Clawback native API',
      version: '1',
      description:
        'Native JSON API. Compatible paths (/api/incidents, /api/lists, /threat/json_event) are described in API-COMPAT.md.',
    },
    components: {
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'the raw API key (Bearer also accepted)',
        },
        session: { type: 'apiKey', in: 'cookie', name: 'clawback_session' },
      },
    },
    paths,
  }
}

export const openapiApi = new Hono<AppEnv>()

/** Public: the document describes routes, never data. */
openapiApi.get('/api/openapi.json', guard({ auth: 'public' }), async (c) => {
  const { apiRoutes } = await import('../routes.ts')
  return c.json(buildOpenApi(apiRoutes.routes))
})
