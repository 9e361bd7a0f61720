# Fails unless the text of SOURCE appears, unchanged, in DOC.
file(READ "${SOURCE}" source)
file(READ "${DOC}" doc)
string(FIND "${doc}" "${source}" at)
if(at EQUAL -1)
    message(FATAL_ERROR "${DOC} does not quote ${SOURCE} verbatim: update the document")
endif()
