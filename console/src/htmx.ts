import type { Context } from 'hono'

/** Every HX-* header lives here. */
export const isHtmx = (c: Context) =>
  c.req.header('HX-Request') === 'true' && c.req.header('HX-History-Restore-Request') !== 'true'

export const trigger = (c: Context, event: string) => c.header('HX-Trigger', event)

/** For htmx requests a redirect must be HX-Redirect (a 303 would be followed inside the fragment). */
export const redirect = (c: Context, to: string) => {
  if (isHtmx(c)) {
    c.header('HX-Redirect', to)
    return c.body(null, 204)
  }
  return c.redirect(to, 303)
}
