module Harness
let x = 1
