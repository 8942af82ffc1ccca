import { readFileSync, writeFileSync } from 'node:fs'
import { hostSettingsFromProperties, parseOvfEnvironment } from '../src/image/ovf-properties.ts'
import { applyHostSettings, execRunner } from '../src/system/apply-host-settings.ts'

/**
 * First boot, as root (appliance/image/firstboot.sh): reads the OVF environment document on
 * standard input, applies host name, network and NTP through the same root-side code as the
 * console's host settings, and writes the admin password property (if any) to `--password-file`
 * (0600). Invalid properties are reported (by name, never by value) and the defaults (DHCP) used,
 * so a typo in vCenter never leaves an appliance without a console.
 *   firstboot-properties.ts --password-file FILE < ovf-env.xml
 */
const args = process.argv.slice(2)
const passwordFile = args[args.indexOf('--password-file') + 1]
const props = parseOvfEnvironment(readFileSync(0, 'utf8'))
process.stdout.write(`OVF properties present: ${Object.keys(props).join(', ') || '(none)'}\n`)
let settings: ReturnType<typeof hostSettingsFromProperties>
try {
  settings = hostSettingsFromProperties(props)
} catch (err) {
  process.stdout.write(`${(err as Error).message}; using DHCP and the default host name instead\n`)
  settings = hostSettingsFromProperties({})
}
const result = await applyHostSettings('/', settings, execRunner)
process.stdout.write(`host settings applied: ${JSON.stringify(result)}\n`)
if (passwordFile && props.admin_password) writeFileSync(passwordFile, props.admin_password, { mode: 0o600 })
