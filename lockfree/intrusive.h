// lockfree/intrusive.h: small helpers for intrusive structures whose hook is a data member
// named by a member pointer (boost::intrusive member_hook / Linux list_head style).
//
// What: MemberOf<Hook> splits `&Node::hook` into the node type and hook type; owner_of<Hook>(h)
// goes from a hook back to its node (container_of without a macro).
// When not: the hook must be a direct, non-virtual-base data member of Node.
//
// Synchronisation: none (pure address arithmetic).
#pragma once

#include <cstddef>

namespace scythe::lf {

template <auto Hook>
struct MemberOf;

template <class Node, class H, H Node::*Hook>
struct MemberOf<Hook> {
    using node_type = Node;
    using hook_type = H;
};

// Byte offset of the member `Hook` inside its node. Computed on uninitialised, suitably aligned
// storage: only an address is formed, nothing is read, and the compiler folds it to a constant.
template <auto Hook>
inline std::ptrdiff_t member_offset() noexcept {
    using Node = typename MemberOf<Hook>::node_type;
    alignas(Node) static unsigned char probe[sizeof(Node)];
    Node* n = reinterpret_cast<Node*>(probe);
    return reinterpret_cast<unsigned char*>(&(n->*Hook)) - probe;
}

template <auto Hook>
inline typename MemberOf<Hook>::node_type*
owner_of(typename MemberOf<Hook>::hook_type* h) noexcept {
    using Node = typename MemberOf<Hook>::node_type;
    return reinterpret_cast<Node*>(reinterpret_cast<unsigned char*>(h) - member_offset<Hook>());
}

} // namespace scythe::lf
