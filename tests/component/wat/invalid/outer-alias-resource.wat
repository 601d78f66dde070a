;; error: refers to a resource type and cannot be aliased across a component boundary
(component $outer
  (import "r" (type $r (sub resource)))
  (type $own (own $r))
  (component
    (alias outer $outer $own (type))))
