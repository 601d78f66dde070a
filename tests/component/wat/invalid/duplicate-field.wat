;; error: record field `X` is defined more than once
(component
  (type (record (field "x" u32) (field "X" u32))))
