// The one translation unit that compiles Boost.Asio and Boost.Beast (see
// BOOST_*_SEPARATE_COMPILATION in CMakeLists.txt): every other file only includes headers,
// which keeps rebuilds fast on a two-core machine.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
