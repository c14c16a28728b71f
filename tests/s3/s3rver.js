// The test S3 server: @20minutes/s3rver 5.0.0, which checks AWS Signature
// V4 (a wrong secret gets 403 SignatureDoesNotMatch). Its package ships
// no executable, so this starts its CLI.
//
//   node tests/s3/s3rver.js PORTFILE [s3rver options...]
//
// e.g. -d DIR -a 127.0.0.1 -p 0 --configure-bucket NAME --silent. Once
// it listens, the bound port is written to PORTFILE (written aside and
// renamed, so a reader never sees half of it).
//
// One addition: s3rver 5.0.0 ignores If-None-Match on PUT, which AWS S3
// (since 2024), MinIO, Ceph and R2 honour: "PUT only if absent", the
// writers' lock of `symsrv add -s s3://`. It is added here, checked when
// the object is stored (so after the signature check), with a set of keys
// being written so that two concurrent PUTs cannot both win.
//
// And one fault for the tests: after SIGUSR2 (again: off), every third
// GET, HEAD, PUT or DELETE without If-None-Match is answered 503 SlowDown,
// as S3 does under load, and "s3rver.js: 503 SlowDown injected" is logged.
// POSTs and conditional PUTs are left alone: the client does not repeat
// those (remote/s3.c says why).
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const base = path.join(__dirname, 'node_modules', '@20minutes', 's3rver', 'lib')
const S3rver = require(path.join(base, 's3rver.js'))
const S3Error = require(path.join(base, 'models', 'error.js'))

const portfile = process.argv[2]
const writing = new Set()

function ifAbsent(store) {
  const guarded = Object.create(store)
  guarded.putObject = async (object) => {
    const id = object.bucket + '/' + object.key
    if (writing.has(id)) throw precondition()
    writing.add(id)
    try {
      if (await store.existsObject(object.bucket, object.key)) throw precondition()
      return await store.putObject(object)
    } finally {
      writing.delete(id)
    }
  }
  return guarded
}

function precondition() {
  return new S3Error(
    'PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold',
    { Condition: 'If-None-Match' }
  )
}

let flaky = false
let seen = 0
process.on('SIGUSR2', () => {
  flaky = !flaky
  seen = 0
})

async function slowDown(ctx, next) {
  const kind = ['GET', 'HEAD', 'PUT', 'DELETE'].includes(ctx.method) && !ctx.get('if-none-match')
  if (flaky && kind && ++seen % 3 === 0) {
    console.error('s3rver.js: 503 SlowDown injected')
    ctx.status = 503
    ctx.type = 'application/xml'
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
      '<Message>Please reduce your request rate.</Message></Error>'
    return
  }
  return next()
}

const run = S3rver.prototype.run
S3rver.prototype.run = async function () {
  this.middleware.unshift(async (ctx, next) => {
    if (ctx.method === 'PUT' && ctx.get('if-none-match') === '*') ctx.store = ifAbsent(ctx.store)
    return next()
  })
  this.middleware.unshift(slowDown)
  const addr = await run.call(this)
  fs.writeFileSync(portfile + '.tmp', String(addr.port))
  fs.renameSync(portfile + '.tmp', portfile)
  return addr
}

// A test that crashes cannot stop the server: it goes when its parent does.
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) process.exit(0)
}, 500).unref()

const argv = [process.argv[0], 's3rver'].concat(process.argv.slice(3))
require(path.join(base, 'cli.js'))
  .parseAsync(argv)
  .catch((err) => {
    console.error('s3rver: ' + err.message)
    process.exit(1)
  })
