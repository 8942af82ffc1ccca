/** The file-system root of the release layout: `/` on the appliance, a folder in tests (CLAWBACK_ROOT). */
export const upgradeRoot = () => process.env.CLAWBACK_ROOT || '/'
