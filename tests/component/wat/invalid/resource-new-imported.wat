;; error: resource.new: type index 0 is not a resource defined by this component
(component
  (import "r" (type $r (sub resource)))
  (core func (canon resource.new $r)))
