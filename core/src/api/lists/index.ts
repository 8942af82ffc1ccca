import { Hono } from 'hono'
import { z } from 'zod'
import { addMember } from '../../domain/lists/add-list-member.ts'
import { createList } from '../../domain/lists/create-list.ts'
import { deleteList } from '../../domain/lists/delete-list.ts'
import { deleteMember } from '../../domain/lists/delete-list-member.ts'
import { getList } from '../../domain/lists/get-list.ts'
import { getMember } from '../../domain/lists/get-list-member.ts'
import { listLists } from '../../domain/lists/list-lists.ts'
import { listMembersOf } from '../../domain/lists/list-members.ts'
import { updateMember } from '../../domain/lists/update-list-member.ts'
import { LIST_TYPES } from '../../domain/lists/validate-member.ts'
import { output } from '../describe.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { dateParam, idParam } from '../params.ts'
import { data, ZDeleted, ZList, ZListMember } from '../schemas.ts'
import { id, input, text } from '../validate.ts'

const read = guard({ auth: 'actor', permission: 'lists.read' })
const write = guard({ auth: 'actor', permission: 'lists.write' })
const listId = (raw: string | undefined) => idParam(raw, 'list')
const base = (c: { var: AppEnv['Variables']; req: { url: string } }) =>
  c.var.deps.config.publicUrl || new URL(c.req.url).origin

export const listsApi = new Hono<AppEnv>()

listsApi.get('/api/v1/lists', read, output(200, data(z.array(ZList))), async (c) =>
  c.json({ data: await listLists(c.var.deps.db, c.var.actor!) }),
)
listsApi.post(
  '/api/v1/lists',
  write,
  input(
    'json',
    z.strictObject({
      name: text(200).min(1),
      type: z.enum(LIST_TYPES),
      description: text(10_000).optional(),
    }),
  ),
  output(201, data(ZList)),
  async (c) => {
    const { list, feedToken } = await createList(c.var.deps.db, c.var.deps.keyring, c.var.actor!, c.req.valid('json'))
    return c.json({ data: { ...list, feedUrl: `${base(c)}/feeds/lists/${feedToken}.txt` } }, 201)
  },
)
/** One list; `?with_feed_url=true` (lists.write) adds the feed URL. */
listsApi.get(
  '/api/v1/lists/:id',
  read,
  input('query', z.object({ with_feed_url: z.enum(['true', 'false']).optional() })),
  output(200, data(ZList)),
  async (c) => {
    const withFeedUrl = c.req.valid('query').with_feed_url === 'true' && c.var.actor!.permissions.has('lists.write')
    return c.json({
      data: await getList(c.var.deps.db, c.var.deps.keyring, c.var.actor!, listId(c.req.param('id')), {
        withFeedUrl,
        publicUrl: base(c),
      }),
    })
  },
)

/** Deletes a list and its members; the feed URL answers 404 from then on. The audit record keeps the members. */
listsApi.delete('/api/v1/lists/:id', write, output(200, data(ZDeleted)), async (c) => {
  const list = await deleteList(c.var.deps.db, c.var.actor!, listId(c.req.param('id')))
  return c.json({ data: { id: list.id, deleted: true as const } })
})

const ZMember = z.strictObject({
  member: text(2048).min(1),
  description: text(10_000).optional(),
  expiration: text(64).nullable().optional(),
  originIncidentId: id().nullable().optional(),
})
const memberIn = (b: z.infer<typeof ZMember>) => ({
  ...b,
  expiration: b.expiration === null ? null : dateParam(b.expiration, 'expiration'),
})

listsApi.get('/api/v1/lists/:id/members', read, output(200, data(z.array(ZListMember))), async (c) =>
  c.json({ data: (await listMembersOf(c.var.deps.db, c.var.actor!, listId(c.req.param('id')))).members }),
)
listsApi.post('/api/v1/lists/:id/members', write, input('json', ZMember), output(201, data(ZListMember)), async (c) =>
  c.json(
    {
      data: (await addMember(c.var.deps.db, c.var.actor!, listId(c.req.param('id')), memberIn(c.req.valid('json'))))
        .member,
    },
    201,
  ),
)
listsApi.get('/api/v1/lists/:id/members/:memberId', read, output(200, data(ZListMember)), async (c) =>
  c.json({
    data: (
      await getMember(
        c.var.deps.db,
        c.var.actor!,
        listId(c.req.param('id')),
        idParam(c.req.param('memberId'), 'list member'),
      )
    ).member,
  }),
)
listsApi.patch(
  '/api/v1/lists/:id/members/:memberId',
  write,
  input('json', ZMember.partial()),
  output(200, data(ZListMember)),
  async (c) => {
    const b = c.req.valid('json')
    return c.json({
      data: (
        await updateMember(
          c.var.deps.db,
          c.var.actor!,
          listId(c.req.param('id')),
          idParam(c.req.param('memberId'), 'list member'),
          { ...b, expiration: b.expiration === null ? null : dateParam(b.expiration ?? undefined, 'expiration') },
        )
      ).member,
    })
  },
)
listsApi.delete('/api/v1/lists/:id/members/:memberId', write, output(200, data(ZListMember)), async (c) =>
  c.json({
    data: (
      await deleteMember(
        c.var.deps.db,
        c.var.actor!,
        listId(c.req.param('id')),
        idParam(c.req.param('memberId'), 'list member'),
      )
    ).member,
  }),
)
