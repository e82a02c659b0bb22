# Installs the integration tests' node dependencies from package-lock.json, once.
# cmake -DNPM=<npm> -DDIR=<tests/integration> [-DCHECK=<package that shows it is done>] -P npm_ci.cmake
if(NOT DEFINED CHECK)
  set(CHECK ws)
endif()
if(EXISTS "${DIR}/node_modules/${CHECK}/package.json")
  message(STATUS "node_modules present in ${DIR}; skipping npm ci")
  return()
endif()
execute_process(COMMAND "${NPM}" ci --no-audit --no-fund
                WORKING_DIRECTORY "${DIR}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${DIR} (exit ${rc})")
endif()
