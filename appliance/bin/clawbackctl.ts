#!/usr/bin/env node
import { main } from '../src/cli/main.ts'

const code = await main(process.argv.slice(2))
// Exit explicitly (after stdout drains): libraries' exit hooks must not decide our exit status.
process.stdout.write('', () => process.exit(code))
