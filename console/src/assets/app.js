// Clawback analyst UI: small progressive enhancements. Every page works without this file.
;(() => {
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))

  // Single-key shortcuts: an element with data-hotkey="x" is focused (fields) or clicked (links, buttons).
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && typing(document.activeElement)) return document.activeElement.blur()
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return
    if (e.key === '?') return document.body.classList.toggle('show-keys')
    const el = document.querySelector(`[data-hotkey="${CSS.escape(e.key)}"]`)
    if (!el) return
    e.preventDefault()
    if (typing(el)) el.focus()
    else el.click()
  })

  // Forms that destroy something ask first.
  document.addEventListener(
    'submit',
    (e) => {
      const msg = e.target.closest('[data-confirm]')?.getAttribute('data-confirm')
      if (msg && !window.confirm(msg)) e.preventDefault()
    },
    true,
  )

  // "Select all" checkboxes: data-select-all="<name>" ticks every checkbox of that name.
  document.addEventListener('change', (e) => {
    const name = e.target.getAttribute?.('data-select-all')
    if (!name) return
    for (const box of document.querySelectorAll(`input[type=checkbox][name="${CSS.escape(name)}"]`))
      box.checked = e.target.checked
  })

  // A one-time secret is selected on focus so it can be copied at once.
  document.addEventListener('focusin', (e) => {
    if (e.target.matches?.('[data-select-on-focus]')) e.target.select()
  })
  document.addEventListener('DOMContentLoaded', () => document.querySelector('[data-select-on-focus]')?.select())
})()

// Management console uploads (backups, IMG): `form[data-stream-upload]` sends the file raw
// (application/octet-stream, name in X-File-Name, CSRF in X-CSRF-Token) so the server streams it
// to disk, then follows the redirect. Without fetch, the multipart form still works. Served as a
// file, not inline, so the console's Content-Security-Policy (script-src 'self') allows it.
;(() => {
  for (const form of document.querySelectorAll('form[data-stream-upload]')) {
    form.addEventListener('submit', (e) => {
      const input = form.querySelector('input[type=file]')
      const f = input?.files[0]
      if (!f || !window.fetch || e.defaultPrevented) return
      e.preventDefault()
      const status = form.querySelector('.upload-status')
      if (status) status.textContent = `Uploading ${f.name} (${Math.round(f.size / 1048576)} MiB)…`
      fetch(form.action, {
        method: 'POST',
        body: f,
        headers: {
          'Content-Type': 'application/octet-stream',
          'X-File-Name': encodeURIComponent(f.name),
          'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content,
        },
      })
        .then((res) => {
          // followed a redirect (accepted), or a refusal (4xx) naming its page in Content-Location
          const to = res.redirected ? res.url : res.headers.get('Content-Location')
          if (to) window.location.href = to
          else if (status) status.textContent = `Upload failed: ${res.status} ${res.statusText}`
        })
        .catch((err) => {
          if (status) status.textContent = `Upload failed: ${err}`
        })
    })
  }
})()
