// Render Mermaid files with Mermaid itself, in one headless browser.
//
//   node render.mjs --browser CONFIG.json --out DIR [--format svg|png]
//                   [--scale N] FILE.mmd...
//
// Writes DIR/NAME.svg (or .png) for each FILE, named after it. Prints one
// line per file; a file Mermaid cannot parse or draw prints its error and
// makes the exit status 1. tools/render_mermaid.sh installs what this needs
// and runs it; run that instead.

import { readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'

import { renderMermaid } from '@mermaid-js/mermaid-cli'
import puppeteer from 'puppeteer'

const { values: options, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    browser: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string', default: 'svg' },
    scale: { type: 'string', default: '1' }
  }
})

if (!options.browser || !options.out || files.length === 0) {
  console.error('usage: render.mjs --browser CONFIG.json --out DIR FILE.mmd...')
  process.exit(2)
}

const PAGES = 4
const launch = JSON.parse(await readFile(options.browser, 'utf8'))
const browser = await puppeteer.launch(launch)
const renderOptions = {
  viewport: { width: 1400, height: 900, deviceScaleFactor: Number(options.scale) },
  backgroundColor: 'white',
  mermaidConfig: { theme: 'default' }
}

async function renderOne (file) {
  const target = join(options.out, basename(file, '.mmd') + '.' + options.format)
  try {
    const text = await readFile(file, 'utf8')
    const { data } = await renderMermaid(browser, text, options.format, renderOptions)
    await writeFile(target, data)
    console.log(`rendered ${file} -> ${target}`)
    return true
  } catch (error) {
    const message = String(error?.message ?? error).split('\n').slice(0, 4).join('\n  ')
    console.error(`MERMAID ERROR in ${file}:\n  ${message}`)
    return false
  }
}

// A few pages at a time: loading Mermaid into a page is most of the cost.
let failed = 0
try {
  const queue = [...files]
  const worker = async () => {
    while (queue.length) {
      if (!(await renderOne(queue.shift()))) failed += 1
    }
  }
  await Promise.all(Array.from({ length: PAGES }, worker))
} finally {
  await browser.close()
}
process.exit(failed ? 1 : 0)
