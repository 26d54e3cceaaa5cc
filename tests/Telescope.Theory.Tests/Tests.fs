module Tests
open Xunit
[<Fact>]
let ``smoke`` () = Assert.True(true)
